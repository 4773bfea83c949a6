import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { AdmissionAttributes } from '../admission/admission.js';
import type { UserInfo } from '../request/request-info.js';
import { RbacAuthorizer } from './rbac-authorizer.js';
import { RbacEscalationCheck } from './rbac-escalation.js';
import type { PolicyRule } from './policy-rule.js';

const bob: UserInfo = { username: 'bob', groups: ['system:authenticated'] };

function attrs(resource: string, object: KubeObject, user: UserInfo = bob, namespace = 'ns'): AdmissionAttributes {
  return { operation: 'CREATE', group: 'rbac.authorization.k8s.io', version: 'v1', resource, subresource: '', kind: '', namespace, name: object.metadata?.name ?? '', object, oldObject: undefined, user, dryRun: false, warn: () => undefined };
}

function setup(): { check: RbacEscalationCheck; rbac: RbacAuthorizer } {
  const rbac = new RbacAuthorizer();
  rbac.upsert('ClusterRole', { metadata: { name: 'pods' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }] });
  rbac.upsert('ClusterRole', { metadata: { name: 'big' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] });
  rbac.upsert('RoleBinding', { metadata: { name: 'b', namespace: 'ns' }, roleRef: { kind: 'ClusterRole', name: 'pods' }, subjects: [{ kind: 'User', name: 'bob' }] });
  const roles = new Map<string, readonly PolicyRule[]>([
    ['pods', [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }]],
    ['big', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }]],
  ]);
  const check = new RbacEscalationCheck({ rbac, authorizer: rbac, roleRules: async (_k, _ns, name) => roles.get(name) });
  return { check, rbac };
}

async function refusal(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StatusError);
    assert.equal(err.status.code, 403);
    return err.status.message ?? '';
  }
  assert.fail('expected a 403');
}

describe('RBAC escalation check', () => {
  it('lets a user grant what it holds and refuses more', async () => {
    const { check } = setup();
    await check.validate(attrs('roles', { metadata: { name: 'r' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }));
    const msg = await refusal(check.validate(attrs('roles', { metadata: { name: 'r' }, rules: [{ verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] }] })));
    assert.equal(msg, 'roles.rbac.authorization.k8s.io "r" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}');
    // ClusterRoles are checked against cluster-wide rules, which bob has none of.
    await refusal(check.validate(attrs('clusterroles', { metadata: { name: 'c' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }, bob, '')));
  });

  it('allows with the escalate or bind verb, and system:masters always', async () => {
    const { check, rbac } = setup();
    const binding = { metadata: { name: 'x' }, roleRef: { kind: 'ClusterRole', name: 'big' }, subjects: [{ kind: 'User', name: 'bob' }] };
    const msg = await refusal(check.validate(attrs('rolebindings', binding)));
    assert.match(msg, /rolebindings.rbac.authorization.k8s.io "x" is forbidden: user "bob" .* not currently held/);
    await check.validate(attrs('rolebindings', { ...binding, roleRef: { kind: 'ClusterRole', name: 'pods' } }));
    assert.equal(check.handles(attrs('rolebindings', binding, { username: 'root', groups: ['system:masters'] })), false);
    rbac.upsert('ClusterRole', { metadata: { name: 'binder' }, rules: [{ verbs: ['bind', 'escalate'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles', 'roles'] }] });
    rbac.upsert('RoleBinding', { metadata: { name: 'bb', namespace: 'ns' }, roleRef: { kind: 'ClusterRole', name: 'binder' }, subjects: [{ kind: 'User', name: 'bob' }] });
    await check.validate(attrs('rolebindings', binding));
    await check.validate(attrs('roles', { metadata: { name: 'r' }, rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] }));
  });
});
