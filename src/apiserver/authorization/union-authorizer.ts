/**
 * UnionAuthorizer asks its authorizers in order and allows as soon as one allows (upstream's authorizer union
 * for `--authorization-mode=RBAC,Node`, here RBAC first as the common case). A denial carries the reasons the
 * authorizers gave, joined as upstream does.
 */
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import type { AuthorizationDecision, Authorizer } from '../filters/authorization.js';

/** UnionAuthorizer implements Authorizer over several. */
export class UnionAuthorizer implements Authorizer {
  readonly #authorizers: readonly Authorizer[];
  constructor(authorizers: readonly Authorizer[]) {
    this.#authorizers = authorizers;
  }

  async authorize(user: UserInfo, info: RequestInfo): Promise<AuthorizationDecision> {
    const reasons: string[] = [];
    for (const a of this.#authorizers) {
      const d = await a.authorize(user, info);
      if (d.allowed) return d;
      if (d.reason) reasons.push(d.reason);
    }
    return reasons.length > 0 ? { allowed: false, reason: reasons.join(', ') } : { allowed: false };
  }
}
