/**
 * Review APIs: create-only resources whose answer is computed, never stored (authorization.k8s.io and
 * authentication.k8s.io). `kubectl auth can-i` posts a SelfSubjectAccessReview (as protobuf); `kubectl auth
 * can-i --list` a SelfSubjectRulesReview; `kubectl auth whoami` a SelfSubjectReview.
 *
 * Each review takes the decoded request object and the requesting user and returns the object with `status` set.
 * Decisions come from the server's Authorizer, so RBAC (a later issue) answers these too without changes here.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { badRequest } from '../../api/meta/status-error.js';
import type { UserInfo } from '../request/request-info.js';

/** AccessAttributes is one question to the authorizer (a resource or a non-resource request). */
export interface AccessAttributes {
  readonly user: UserInfo;
  readonly verb: string;
  readonly namespace: string;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string;
  readonly name: string;
  readonly isResourceRequest: boolean;
  readonly path: string;
}

/** AccessDecision is the authorizer's answer. */
export interface AccessDecision {
  readonly allowed: boolean;
  readonly denied?: boolean;
  readonly reason?: string;
}

/** AccessReviewer answers access questions (implemented over the server's Authorizer in boot). */
export type AccessReviewer = (attrs: AccessAttributes) => Promise<AccessDecision>;

/** SubjectRules are the rules a user holds in a namespace, as SelfSubjectRulesReview reports them. */
export interface SubjectRules {
  readonly resourceRules: readonly { verbs: readonly string[]; apiGroups?: readonly string[]; resources?: readonly string[]; resourceNames?: readonly string[] }[];
  readonly nonResourceRules: readonly { verbs: readonly string[]; nonResourceURLs?: readonly string[] }[];
  readonly incomplete: boolean;
}

/** RulesResolver lists a user's rules in a namespace (implemented over RBAC in the control plane). */
export type RulesResolver = (user: UserInfo, namespace: string) => SubjectRules;

/**
 * TokenReviewer authenticates a bearer token for TokenReview against the audiences asked for (the API server's own
 * when none are): the user and the asked audiences the token is valid for, or undefined when it is valid for none.
 */
export type TokenReviewer = (token: string, audiences: readonly string[]) => Promise<{ user: UserInfo; audiences: string[] } | undefined>;

/** ReviewContext is what a review needs besides the body. */
export interface ReviewContext {
  readonly user: UserInfo;
  /** The namespace from the URL (LocalSubjectAccessReview). */
  readonly namespace: string;
  readonly review: AccessReviewer;
  readonly tokenReview: TokenReviewer;
  /** The user's rules for SelfSubjectRulesReview; without it the review probes the authorizer for `*`. */
  readonly rules?: RulesResolver;
}

/** ReviewResource computes one kind of review. */
export type ReviewResource = (obj: KubeObject, ctx: ReviewContext) => Promise<KubeObject>;

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}
interface NonResourceAttributes {
  path?: string;
  verb?: string;
}
interface AccessReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

function specOf(obj: KubeObject): AccessReviewSpec {
  const spec = obj.spec;
  if (spec === undefined || spec === null || typeof spec !== 'object') throw badRequest('spec is required');
  return spec as AccessReviewSpec;
}

async function decide(spec: AccessReviewSpec, user: UserInfo, ctx: ReviewContext): Promise<Record<string, unknown>> {
  const ra = spec.resourceAttributes;
  const na = spec.nonResourceAttributes;
  if (!ra && !na) throw badRequest('exactly one of nonResourceAttributes or resourceAttributes must be specified');
  const d = await ctx.review({
    user,
    verb: ra?.verb ?? na?.verb ?? '',
    namespace: ra?.namespace ?? '',
    apiGroup: ra?.group ?? '',
    resource: ra?.resource ?? '',
    subresource: ra?.subresource ?? '',
    name: ra?.name ?? '',
    isResourceRequest: ra !== undefined,
    path: na?.path ?? '',
  });
  const status: Record<string, unknown> = { allowed: d.allowed };
  if (d.denied) status.denied = true;
  if (d.reason) status.reason = d.reason;
  return status;
}

function withStatus(obj: KubeObject, status: unknown): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}), creationTimestamp: null }, status };
}

/** REVIEW_RESOURCES maps "group/resource" to its review. */
export const REVIEW_RESOURCES: ReadonlyMap<string, ReviewResource> = new Map<string, ReviewResource>([
  [
    'authorization.k8s.io/selfsubjectaccessreviews',
    async (obj, ctx) => withStatus(obj, await decide(specOf(obj), ctx.user, ctx)),
  ],
  [
    'authorization.k8s.io/subjectaccessreviews',
    async (obj, ctx) => {
      const spec = specOf(obj);
      const user: UserInfo = { username: spec.user ?? '', groups: spec.groups ?? [], uid: spec.uid, extra: spec.extra };
      return withStatus(obj, await decide(spec, user, ctx));
    },
  ],
  [
    'authorization.k8s.io/localsubjectaccessreviews',
    async (obj, ctx) => {
      const spec = specOf(obj);
      const ns = spec.resourceAttributes?.namespace ?? '';
      if (ns !== ctx.namespace) throw badRequest(`spec.resourceAttributes.namespace must match the request namespace "${ctx.namespace}"`);
      const user: UserInfo = { username: spec.user ?? '', groups: spec.groups ?? [], uid: spec.uid, extra: spec.extra };
      return withStatus(obj, await decide(spec, user, ctx));
    },
  ],
  [
    'authorization.k8s.io/selfsubjectrulesreviews',
    async (obj, ctx) => {
      if (ctx.rules) {
        const ns = ((obj.spec ?? {}) as { namespace?: string }).namespace ?? '';
        return withStatus(obj, ctx.rules(ctx.user, ns));
      }
      // Without RBAC every authenticated user is an administrator; RBAC replaces this with the user's rules.
      const probe = await ctx.review({ user: ctx.user, verb: '*', namespace: '', apiGroup: '*', resource: '*', subresource: '', name: '', isResourceRequest: true, path: '' });
      const status = probe.allowed
        ? { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false }
        : { resourceRules: [], nonResourceRules: [], incomplete: true, evaluationError: 'no rules' };
      return withStatus(obj, status);
    },
  ],
  [
    'authentication.k8s.io/selfsubjectreviews',
    async (obj, ctx) => withStatus(obj, { userInfo: { username: ctx.user.username, uid: ctx.user.uid, groups: ctx.user.groups, extra: ctx.user.extra } }),
  ],
  [
    'authentication.k8s.io/tokenreviews',
    async (obj, ctx) => {
      const spec = (obj.spec ?? {}) as { token?: string; audiences?: string[] };
      if (!spec.token) throw badRequest('spec.token is required');
      const result = await ctx.tokenReview(spec.token, Array.isArray(spec.audiences) ? spec.audiences : []);
      const u = result?.user;
      const status = u
        ? { authenticated: true, user: { username: u.username, uid: u.uid, groups: u.groups, extra: u.extra }, audiences: result.audiences }
        : { authenticated: false, error: 'invalid bearer token' };
      return withStatus(obj, status);
    },
  ],
]);
