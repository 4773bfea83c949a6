/**
 * Property test: the indexed, cached RbacAuthorizer against a deliberately naive reference model written here
 * (a linear scan of every binding per question, its own matching code) over generated policies and ≥ 10,000
 * generated (subject, verb, resource, subresource, namespace, name) cells. Every answer must agree.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta/types.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import { RbacAuthorizer } from './rbac-authorizer.js';

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete', 'escalate'];
const GROUPS = ['', 'apps', 'batch'];
const RESOURCES = ['pods', 'deployments', 'secrets', 'jobs'];
const SUBRESOURCES = ['', 'log', 'scale', 'status'];
const NAMESPACES = ['', 'a', 'b'];
const NAMES = ['', 'x', 'y'];
const USERS = ['u1', 'u2', 'u3', 'system:serviceaccount:a:sa1', 'system:serviceaccount:b:sa1'];
const GROUP_NAMES = ['g1', 'g2'];

interface Rule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}
function some<T>(rand: () => number, list: readonly T[], wildcard?: T): T[] {
  if (wildcard !== undefined && rand() < 0.1) return [wildcard];
  const out = list.filter(() => rand() < 0.35);
  return out.length > 0 ? out : [pick(rand, list)];
}

function genRule(rand: () => number): Rule {
  const resources = some(rand, RESOURCES, '*').flatMap((r) => {
    const sub = pick(rand, SUBRESOURCES);
    if (sub === '') return [r];
    return rand() < 0.3 ? [`*/${sub}`] : [`${r}/${sub}`, r];
  });
  const rule: Rule = { verbs: some(rand, VERBS, '*'), apiGroups: some(rand, GROUPS, '*'), resources };
  if (rand() < 0.25) rule.resourceNames = some(rand, NAMES.filter((n) => n !== ''));
  return rule;
}

function genSubject(rand: () => number, bindingNamespace: string): Record<string, string> {
  const r = rand();
  if (r < 0.4) {
    const u = pick(rand, USERS.filter((n) => !n.startsWith('system:')));
    return { kind: 'User', name: u };
  }
  if (r < 0.7) return { kind: 'Group', name: pick(rand, GROUP_NAMES) };
  const ns = rand() < 0.5 ? pick(rand, ['a', 'b']) : '';
  const subject: Record<string, string> = { kind: 'ServiceAccount', name: 'sa1' };
  if (ns !== '' || bindingNamespace === '') subject.namespace = ns === '' ? 'a' : ns;
  return subject;
}

interface Policy {
  clusterRoles: KubeObject[];
  roles: KubeObject[];
  clusterRoleBindings: KubeObject[];
  roleBindings: KubeObject[];
}

function genPolicy(rand: () => number): Policy {
  const p: Policy = { clusterRoles: [], roles: [], clusterRoleBindings: [], roleBindings: [] };
  for (let i = 0; i < 4; i++) p.clusterRoles.push({ metadata: { name: `cr${i}` }, rules: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => genRule(rand)) });
  for (const ns of ['a', 'b']) for (let i = 0; i < 2; i++) p.roles.push({ metadata: { name: `r${i}`, namespace: ns }, rules: Array.from({ length: 1 + Math.floor(rand() * 3) }, () => genRule(rand)) });
  for (let i = 0; i < 3; i++) {
    p.clusterRoleBindings.push({ metadata: { name: `crb${i}` }, roleRef: { kind: 'ClusterRole', name: `cr${Math.floor(rand() * 5)}` }, subjects: [genSubject(rand, ''), genSubject(rand, '')] });
  }
  for (const ns of ['a', 'b']) {
    for (let i = 0; i < 3; i++) {
      const roleRef = rand() < 0.5 ? { kind: 'Role', name: `r${Math.floor(rand() * 3)}` } : { kind: 'ClusterRole', name: `cr${Math.floor(rand() * 4)}` };
      p.roleBindings.push({ metadata: { name: `rb${i}`, namespace: ns }, roleRef, subjects: [genSubject(rand, ns)] });
    }
  }
  return p;
}

/** The reference model: a scan of every binding, matching written independently of policy-rule.ts. */
function referenceAllows(p: Policy, user: UserInfo, req: RequestInfo): boolean {
  if (user.groups.includes('system:masters')) return true;
  const applies = (s: Record<string, string>, bindingNs: string): boolean => {
    if (s.kind === 'User') return s.name === user.username;
    if (s.kind === 'Group') return user.groups.includes(s.name ?? '');
    if (s.kind === 'ServiceAccount') return user.username === `system:serviceaccount:${s.namespace || bindingNs}:${s.name}`;
    return false;
  };
  const ruleOk = (rule: Rule): boolean => {
    const verbOk = rule.verbs.some((v) => v === '*' || v === req.verb);
    const groupOk = rule.apiGroups.some((g) => g === '*' || g === req.apiGroup);
    const full = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
    const resOk = rule.resources.some((r) => r === '*' || r === full || (req.subresource !== '' && r.startsWith('*/') && r.slice(2) === req.subresource));
    const nameOk = !rule.resourceNames || rule.resourceNames.length === 0 || rule.resourceNames.includes(req.name);
    return verbOk && groupOk && resOk && nameOk;
  };
  const rolesRules = (ref: { kind: string; name: string }, ns: string): Rule[] => {
    const list = ref.kind === 'ClusterRole' ? p.clusterRoles : p.roles.filter((r) => r.metadata?.namespace === ns);
    return (list.find((r) => r.metadata?.name === ref.name)?.rules as Rule[] | undefined) ?? [];
  };
  for (const b of p.clusterRoleBindings) {
    if (!(b.subjects as Record<string, string>[]).some((s) => applies(s, ''))) continue;
    if (rolesRules(b.roleRef as { kind: string; name: string }, '').some(ruleOk)) return true;
  }
  if (req.namespace === '') return false;
  for (const b of p.roleBindings) {
    const ns = b.metadata?.namespace ?? '';
    if (ns !== req.namespace) continue;
    if (!(b.subjects as Record<string, string>[]).some((s) => applies(s, ns))) continue;
    if (rolesRules(b.roleRef as { kind: string; name: string }, ns).some(ruleOk)) return true;
  }
  return false;
}

function userOf(rand: () => number): UserInfo {
  const username = pick(rand, USERS);
  const groups = GROUP_NAMES.filter(() => rand() < 0.4);
  if (username.startsWith('system:serviceaccount:')) groups.push('system:serviceaccounts');
  if (rand() < 0.02) groups.push('system:masters');
  return { username, groups };
}

describe('RbacAuthorizer against the reference model', () => {
  it('agrees on every generated cell', async () => {
    let cells = 0;
    let allowed = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const rand = prng(seed);
      const policy = genPolicy(rand);
      const authz = new RbacAuthorizer();
      for (const o of policy.clusterRoles) authz.upsert('ClusterRole', o);
      for (const o of policy.roles) authz.upsert('Role', o);
      for (const o of policy.clusterRoleBindings) authz.upsert('ClusterRoleBinding', o);
      for (const o of policy.roleBindings) authz.upsert('RoleBinding', o);
      for (let i = 0; i < 500; i++) {
        // Mid-way, change the policy to exercise cache invalidation.
        if (i === 250) {
          const extra = { metadata: { name: 'late', namespace: 'a' }, roleRef: { kind: 'ClusterRole', name: 'cr0' }, subjects: [genSubject(rand, 'a')] };
          policy.roleBindings.push(extra);
          authz.upsert('RoleBinding', extra);
          const changed = { metadata: { name: 'cr1' }, rules: [genRule(rand)] };
          policy.clusterRoles[1] = changed;
          authz.upsert('ClusterRole', changed);
        }
        // Later, delete bindings (the index drops them) and re-add one with other subjects.
        if (i === 400) {
          const gone = policy.clusterRoleBindings.shift();
          if (gone) authz.remove('ClusterRoleBinding', gone);
          const rb = policy.roleBindings[0];
          if (rb) {
            const replaced = { ...rb, subjects: [genSubject(rand, rb.metadata?.namespace ?? '')] };
            policy.roleBindings[0] = replaced;
            authz.upsert('RoleBinding', replaced);
          }
        }
        const user = userOf(rand);
        const req: RequestInfo = {
          isResourceRequest: true,
          path: '',
          verb: pick(rand, VERBS),
          apiPrefix: 'apis',
          apiGroup: pick(rand, GROUPS),
          apiVersion: 'v1',
          namespace: pick(rand, NAMESPACES),
          resource: pick(rand, RESOURCES),
          subresource: pick(rand, SUBRESOURCES),
          name: pick(rand, NAMES),
          parts: [],
        };
        const got = (await authz.authorize(user, req)).allowed;
        const want = referenceAllows(policy, user, req);
        assert.equal(got, want, `seed ${seed} cell ${i}: ${JSON.stringify({ user, req })}`);
        cells++;
        if (want) allowed++;
      }
    }
    assert.ok(cells >= 10_000);
    // The generator must produce both answers in useful amounts, or the comparison proves little.
    assert.ok(allowed > cells * 0.05 && allowed < cells * 0.95, `allowed ${allowed} of ${cells}`);
  });
});
