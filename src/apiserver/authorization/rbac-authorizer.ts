/**
 * RbacAuthorizer: upstream's RBAC authorizer over Roles, ClusterRoles, RoleBindings and ClusterRoleBindings held
 * in memory (fed from the API server's watch caches by RbacCacheFeed).
 *
 * Cost contract: bindings are indexed by subject (user name, group name; ServiceAccount subjects become their
 * user name `system:serviceaccount:<ns>:<name>`), and the rules a user holds are resolved once per distinct
 * (user, groups) and cached until any RBAC object changes. A request then only walks that user's own rules.
 * Users in `system:masters` are allowed everything without a lookup, as upstream's cluster-admin binding does.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import type { AuthorizationDecision, Authorizer } from '../filters/authorization.js';
import { ruleAllows, type PolicyRule, type RuleRequest } from './policy-rule.js';

/** SYSTEM_MASTERS is the group that holds every permission (upstream's SystemPrivilegedGroup). */
export const SYSTEM_MASTERS = 'system:masters';

/** RbacKind names the four RBAC kinds. */
export type RbacKind = 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding';

/** Subject is rbac/v1 Subject. */
export interface Subject {
  readonly kind: string;
  readonly apiGroup?: string;
  readonly name: string;
  readonly namespace?: string;
}

/** RoleRef is rbac/v1 RoleRef. */
export interface RoleRef {
  readonly apiGroup?: string;
  readonly kind: string;
  readonly name: string;
}

interface Binding {
  readonly namespace: string;
  readonly name: string;
  readonly kind: 'RoleBinding' | 'ClusterRoleBinding';
  readonly subjects: readonly Subject[];
  readonly roleRef: RoleRef;
}

/** SourcedRule is a rule the user holds and the binding that grants it (for allow reasons). */
export interface SourcedRule {
  readonly rule: PolicyRule;
  readonly source: string;
}

/** ResolvedRules are a user's rules: cluster-wide ones and per-namespace ones. */
export interface ResolvedRules {
  readonly cluster: readonly SourcedRule[];
  readonly namespaced: ReadonlyMap<string, readonly SourcedRule[]>;
}

/** Upper bound of cached per-user rule sets; past it the cache starts over (many short-lived identities). */
const MAX_CACHED_USERS = 10_000;

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** serviceAccountUsername is the user name of a ServiceAccount: `system:serviceaccount:<ns>:<name>`. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

function subjectKey(subject: Subject, bindingNamespace: string): string | undefined {
  switch (subject.kind) {
    case 'User':
      return `u:${subject.name}`;
    case 'Group':
      return `g:${subject.name}`;
    case 'ServiceAccount': {
      const ns = subject.namespace !== undefined && subject.namespace !== '' ? subject.namespace : bindingNamespace;
      return `u:${serviceAccountUsername(ns, subject.name)}`;
    }
    default:
      return undefined;
  }
}

function rulesOf(obj: KubeObject | undefined): readonly PolicyRule[] {
  const rules = obj?.rules;
  return Array.isArray(rules) ? (rules as PolicyRule[]).filter((r) => r !== null && typeof r === 'object' && Array.isArray(r.verbs)) : [];
}

function bindingOf(kind: 'RoleBinding' | 'ClusterRoleBinding', obj: KubeObject): Binding | undefined {
  const roleRef = obj.roleRef as RoleRef | undefined;
  if (!roleRef || typeof roleRef.name !== 'string') return undefined;
  const subjects = Array.isArray(obj.subjects) ? (obj.subjects as Subject[]) : [];
  return { kind, namespace: obj.metadata?.namespace ?? '', name: obj.metadata?.name ?? '', subjects, roleRef };
}

/** subjectKeysOf lists a binding's distinct subject keys. */
function subjectKeysOf(b: Binding): Set<string> {
  const keys = new Set<string>();
  for (const s of b.subjects) {
    const k = subjectKey(s, b.namespace);
    if (k !== undefined) keys.add(k);
  }
  return keys;
}

/** userKeys are the index keys a user's bindings are found under. */
function userKeys(user: UserInfo): string[] {
  return [`u:${user.username}`, ...user.groups.map((g) => `g:${g}`)];
}

/** ruleRequestOf maps a RequestInfo to what rules match against. */
export function ruleRequestOf(info: RequestInfo): RuleRequest {
  return {
    isResourceRequest: info.isResourceRequest,
    verb: info.verb,
    apiGroup: info.apiGroup,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
    path: info.path,
  };
}

/** RbacAuthorizer implements Authorizer with RBAC. Feed it objects with `upsert`/`remove`/`reset`. */
export class RbacAuthorizer implements Authorizer {
  readonly #roles = new Map<string, readonly PolicyRule[]>();
  readonly #clusterRoles = new Map<string, readonly PolicyRule[]>();
  readonly #bindings = new Map<string, Binding>();
  /** Bindings by subject key, kept in step with #bindings (incrementally: binding churn stays cheap). */
  readonly #bySubject = new Map<string, Set<Binding>>();
  readonly #perUser = new Map<string, ResolvedRules>();
  #generation = 0;

  /** The number of RBAC changes seen (tests and caches of derived data watch it). */
  get generation(): number {
    return this.#generation;
  }

  #changed(): void {
    this.#generation++;
    this.#perUser.clear();
  }

  #setBinding(key: string, b: Binding | undefined): void {
    const old = this.#bindings.get(key);
    if (old) {
      for (const k of subjectKeysOf(old)) {
        const set = this.#bySubject.get(k);
        set?.delete(old);
        if (set?.size === 0) this.#bySubject.delete(k);
      }
      this.#bindings.delete(key);
    }
    if (!b) return;
    this.#bindings.set(key, b);
    for (const k of subjectKeysOf(b)) {
      const set = this.#bySubject.get(k);
      if (set) set.add(b);
      else this.#bySubject.set(k, new Set([b]));
    }
  }

  /** upsert records an added or modified RBAC object. */
  upsert(kind: RbacKind, obj: KubeObject): void {
    const name = obj.metadata?.name ?? '';
    const ns = obj.metadata?.namespace ?? '';
    switch (kind) {
      case 'Role':
        this.#roles.set(keyOf(ns, name), rulesOf(obj));
        break;
      case 'ClusterRole':
        this.#clusterRoles.set(name, rulesOf(obj));
        break;
      default: {
        this.#setBinding(`${kind}:${keyOf(kind === 'RoleBinding' ? ns : '', name)}`, bindingOf(kind, obj));
      }
    }
    this.#changed();
  }

  /** remove forgets a deleted RBAC object. */
  remove(kind: RbacKind, obj: KubeObject): void {
    const name = obj.metadata?.name ?? '';
    const ns = obj.metadata?.namespace ?? '';
    if (kind === 'Role') this.#roles.delete(keyOf(ns, name));
    else if (kind === 'ClusterRole') this.#clusterRoles.delete(name);
    else this.#setBinding(`${kind}:${keyOf(kind === 'RoleBinding' ? ns : '', name)}`, undefined);
    this.#changed();
  }

  /** reset forgets every object of one kind (before a re-list). */
  reset(kind: RbacKind): void {
    if (kind === 'Role') this.#roles.clear();
    else if (kind === 'ClusterRole') this.#clusterRoles.clear();
    else for (const [k, b] of [...this.#bindings]) if (b.kind === kind) this.#setBinding(k, undefined);
    this.#changed();
  }

  #roleRules(b: Binding): readonly PolicyRule[] {
    if (b.roleRef.kind === 'ClusterRole') return this.#clusterRoles.get(b.roleRef.name) ?? [];
    if (b.roleRef.kind === 'Role' && b.kind === 'RoleBinding') return this.#roles.get(keyOf(b.namespace, b.roleRef.name)) ?? [];
    return [];
  }

  /** resolve returns every rule the user holds, by scope (cached until the next RBAC change). */
  resolve(user: UserInfo): ResolvedRules {
    const cacheKey = `${user.username}\u0000${user.groups.join('\u0000')}`;
    const cached = this.#perUser.get(cacheKey);
    if (cached) return cached;
    const index = this.#bySubject;
    const cluster: SourcedRule[] = [];
    const namespaced = new Map<string, SourcedRule[]>();
    const seen = new Set<Binding>();
    for (const key of userKeys(user)) {
      for (const b of index.get(key) ?? []) {
        if (seen.has(b)) continue;
        seen.add(b);
        const subject = key.startsWith('u:') ? `User "${key.slice(2)}"` : `Group "${key.slice(2)}"`;
        const bindingName = b.kind === 'RoleBinding' ? `${b.name}/${b.namespace}` : b.name;
        const source = `RBAC: allowed by ${b.kind} "${bindingName}" of ${b.roleRef.kind} "${b.roleRef.name}" to ${subject}`;
        const rules = this.#roleRules(b).map((rule) => ({ rule, source }));
        if (b.kind === 'ClusterRoleBinding') cluster.push(...rules);
        else {
          const list = namespaced.get(b.namespace);
          if (list) list.push(...rules);
          else namespaced.set(b.namespace, rules);
        }
      }
    }
    const resolved: ResolvedRules = { cluster, namespaced };
    if (this.#perUser.size >= MAX_CACHED_USERS) this.#perUser.clear();
    this.#perUser.set(cacheKey, resolved);
    return resolved;
  }

  /** rulesFor lists the rules that apply to the user in a namespace ("" = cluster-wide rules only). */
  rulesFor(user: UserInfo, namespace: string): PolicyRule[] {
    const r = this.resolve(user);
    const rules = r.cluster.map((s) => s.rule);
    if (namespace !== '') for (const s of r.namespaced.get(namespace) ?? []) rules.push(s.rule);
    return rules;
  }

  /** subjectRules splits the user's rules in a namespace as SelfSubjectRulesReview reports them. */
  subjectRules(user: UserInfo, namespace: string): { resourceRules: PolicyRule[]; nonResourceRules: PolicyRule[]; incomplete: boolean } {
    const r = this.resolve(user);
    const resourceRules: PolicyRule[] = [];
    const nonResourceRules: PolicyRule[] = [];
    for (const { rule } of r.cluster) {
      if ((rule.resources ?? []).length > 0) resourceRules.push({ verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [], ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}) });
      if ((rule.nonResourceURLs ?? []).length > 0) nonResourceRules.push({ verbs: rule.verbs, nonResourceURLs: rule.nonResourceURLs ?? [] });
    }
    if (namespace !== '') {
      for (const { rule } of r.namespaced.get(namespace) ?? []) {
        if ((rule.resources ?? []).length > 0) resourceRules.push({ verbs: rule.verbs, apiGroups: rule.apiGroups ?? [], resources: rule.resources ?? [], ...(rule.resourceNames?.length ? { resourceNames: rule.resourceNames } : {}) });
      }
    }
    return { resourceRules, nonResourceRules, incomplete: false };
  }

  /** decide answers one request: the granting rule's source, or undefined when no rule allows it. */
  decide(user: UserInfo, req: RuleRequest, namespace: string): string | undefined {
    if (user.groups.includes(SYSTEM_MASTERS)) return `RBAC: allowed by group "${SYSTEM_MASTERS}"`;
    const r = this.resolve(user);
    for (const s of r.cluster) if (ruleAllows(s.rule, req)) return s.source;
    // Namespaced rules never grant non-resource URLs or cluster-scoped requests.
    if (namespace !== '' && req.isResourceRequest) {
      for (const s of r.namespaced.get(namespace) ?? []) if (ruleAllows(s.rule, req)) return s.source;
    }
    return undefined;
  }

  authorize(user: UserInfo, info: RequestInfo): Promise<AuthorizationDecision> {
    const source = this.decide(user, ruleRequestOf(info), info.isResourceRequest ? info.namespace : '');
    return Promise.resolve(source !== undefined ? { allowed: true, reason: source } : { allowed: false });
  }
}
