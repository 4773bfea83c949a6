/**
 * RbacEscalationCheck: the privilege-escalation rules of RBAC writes, as a validating admission plugin.
 *
 *   - A Role or ClusterRole may only grant what its writer already holds (in the Role's namespace, or
 *     cluster-wide for a ClusterRole), unless the writer may `escalate` that role. A ClusterRole with an
 *     aggregationRule needs cluster-admin-equivalent rights or `escalate`.
 *   - A RoleBinding or ClusterRoleBinding may only bind a role whose rules the writer holds (in the binding's
 *     namespace, or cluster-wide), unless the writer may `bind` the referenced role.
 *   - Members of `system:masters` are never checked.
 * Denials are 403 in upstream's words: `user "u" (groups=["g"]) is attempting to grant RBAC permissions not
 * currently held:` followed by the missing rules, one per line.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../admission/admission.js';
import { admissionForbidden } from '../admission/admission-forbidden.js';
import type { Authorizer } from '../filters/authorization.js';
import type { UserInfo } from '../request/request-info.js';
import { compactRuleString, uncoveredRules, type PolicyRule } from './policy-rule.js';
import { SYSTEM_MASTERS, type RbacAuthorizer, type RoleRef } from './rbac-authorizer.js';
import { RBAC_GROUP } from './rbac-cache-feed.js';

/** RoleRulesLookup returns a role's rules, or undefined when it does not exist. */
export type RoleRulesLookup = (kind: 'Role' | 'ClusterRole', namespace: string, name: string) => Promise<readonly PolicyRule[] | undefined>;

/** RbacEscalationCheckConfig wires the plugin. */
export interface RbacEscalationCheckConfig {
  /** The RBAC rules users hold. */
  readonly rbac: RbacAuthorizer;
  /** The whole authorizer chain, asked about `escalate` and `bind`. */
  readonly authorizer: Authorizer;
  readonly roleRules: RoleRulesLookup;
}

const CLUSTER_ADMIN_RULES: readonly PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function groupsString(user: UserInfo): string {
  return `[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]`;
}

/** escalationMessage words a denial listing the rules the user does not hold. */
export function escalationMessage(user: UserInfo, missing: readonly PolicyRule[]): string {
  return `user ${JSON.stringify(user.username)} (groups=${groupsString(user)}) is attempting to grant RBAC permissions not currently held:\n${missing.map(compactRuleString).join('\n')}`;
}

function rulesOf(obj: KubeObject | undefined): PolicyRule[] {
  return Array.isArray(obj?.rules) ? (obj.rules as PolicyRule[]) : [];
}

/** RbacEscalationCheck implements the admission plugin. */
export class RbacEscalationCheck implements AdmissionPlugin {
  readonly name = 'RBACEscalationCheck';
  readonly #config: RbacEscalationCheckConfig;
  constructor(config: RbacEscalationCheckConfig) {
    this.#config = config;
  }

  handles(a: AdmissionAttributes): boolean {
    return a.group === RBAC_GROUP && a.subresource === '' && (a.operation === 'CREATE' || a.operation === 'UPDATE') && !a.user.groups.includes(SYSTEM_MASTERS);
  }

  async #allowed(user: UserInfo, verb: string, resource: string, namespace: string, name: string): Promise<boolean> {
    const d = await this.#config.authorizer.authorize(user, {
      isResourceRequest: true,
      path: '',
      verb,
      apiPrefix: 'apis',
      apiGroup: RBAC_GROUP,
      apiVersion: 'v1',
      namespace,
      resource,
      subresource: '',
      name,
      parts: [],
    });
    return d.allowed;
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (a.resource === 'roles' || a.resource === 'clusterroles') return this.#validateRole(a);
    if (a.resource === 'rolebindings' || a.resource === 'clusterrolebindings') return this.#validateBinding(a);
  }

  async #validateRole(a: AdmissionAttributes): Promise<void> {
    const obj = a.object;
    const rules = rulesOf(obj);
    const aggregation = a.resource === 'clusterroles' ? obj?.aggregationRule : undefined;
    if (a.operation === 'UPDATE' && JSON.stringify(rules) === JSON.stringify(rulesOf(a.oldObject)) && JSON.stringify(aggregation) === JSON.stringify(a.oldObject?.aggregationRule)) return;
    const held = this.#config.rbac.rulesFor(a.user, a.resource === 'roles' ? a.namespace : '');
    if (aggregation) {
      if (uncoveredRules(held, CLUSTER_ADMIN_RULES).length === 0) return;
      if (await this.#allowed(a.user, 'escalate', a.resource, a.namespace, a.name)) return;
      throw admissionForbidden(a, 'must have cluster-admin privileges to use the aggregationRule');
    }
    const missing = uncoveredRules(held, rules);
    if (missing.length === 0) return;
    if (await this.#allowed(a.user, 'escalate', a.resource, a.namespace, a.name)) return;
    throw admissionForbidden(a, escalationMessage(a.user, missing));
  }

  async #validateBinding(a: AdmissionAttributes): Promise<void> {
    const obj = a.object;
    const roleRef = obj?.roleRef as RoleRef | undefined;
    if (!roleRef) return;
    if (a.operation === 'UPDATE' && JSON.stringify(obj?.subjects) === JSON.stringify(a.oldObject?.subjects) && JSON.stringify(roleRef) === JSON.stringify(a.oldObject?.roleRef)) return;
    const kind = roleRef.kind === 'Role' ? 'Role' : 'ClusterRole';
    const roleResource = kind === 'Role' ? 'roles' : 'clusterroles';
    if (await this.#allowed(a.user, 'bind', roleResource, a.namespace, roleRef.name)) return;
    const rules = await this.#config.roleRules(kind, a.namespace, roleRef.name);
    if (rules === undefined) throw admissionForbidden(a, `${roleResource}.${RBAC_GROUP} "${roleRef.name}" not found`);
    const missing = uncoveredRules(this.#config.rbac.rulesFor(a.user, a.namespace), rules);
    if (missing.length === 0) return;
    throw admissionForbidden(a, escalationMessage(a.user, missing));
  }
}
