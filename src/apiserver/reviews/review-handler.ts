/**
 * ReviewHandler serves the review APIs (see review-resources.ts) and passes every other resource request to
 * the next handler. Reviews are create-only: other verbs on them answer 405.
 */
import { methodNotAllowed } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { SchemaLookup } from '../../api/schema/types.js';
import { decodeBody } from '../negotiation/decode-body.js';
import { writeJson } from '../negotiation/write.js';
import type { RequestScope, ResourceHandler } from '../request/request-scope.js';
import { REVIEW_RESOURCES, type AccessReviewer, type RulesResolver, type TokenReviewer } from './review-resources.js';

/** ReviewHandlerConfig wires the decisions reviews report. */
export interface ReviewHandlerConfig {
  readonly next: ResourceHandler;
  readonly review: AccessReviewer;
  readonly tokenReview: TokenReviewer;
  /** The user's rules for SelfSubjectRulesReview (RBAC). */
  readonly rules?: RulesResolver;
  /** Schemas that decode protobuf bodies (kubectl sends SelfSubjectAccessReview as protobuf). */
  readonly schemaLookup?: SchemaLookup;
}

/** ReviewHandler implements ResourceHandler for the review resources. */
export class ReviewHandler implements ResourceHandler {
  readonly #config: ReviewHandlerConfig;
  constructor(config: ReviewHandlerConfig) {
    this.#config = config;
  }

  async handle(scope: RequestScope): Promise<void> {
    const { info } = scope;
    const review = info.subresource === '' ? REVIEW_RESOURCES.get(`${info.apiGroup}/${info.resource}`) : undefined;
    if (!review) return this.#config.next.handle(scope);
    if (info.verb !== 'create') throw methodNotAllowed(`the server does not allow this method on the requested resource`);
    const obj = decodeBody(scope.req.headers['content-type'], scope.body, { schemaLookup: this.#config.schemaLookup }) as KubeObject;
    const out = await review(obj, { user: scope.user, namespace: info.namespace, review: this.#config.review, tokenReview: this.#config.tokenReview, rules: this.#config.rules });
    writeJson(scope.res, 201, { ...out, apiVersion: `${info.apiGroup}/${info.apiVersion}`, kind: out.kind ?? obj.kind });
  }
}
