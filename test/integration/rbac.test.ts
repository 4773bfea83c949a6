/**
 * RBAC end to end with the real kubectl: client certificates for test users signed by the cluster CA, a
 * service-account token, `auth can-i` (plain, --list, --as), upstream's Forbidden texts, escalation refusals,
 * ClusterRole aggregation (admin/edit/view), `auth reconcile` and SubjectAccessReview.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CertificateAuthority } from '../../src/pki/certificate-authority.js';
import { eventually, TestCluster, type ExecResult } from '../harness/test-cluster.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('RBAC with kubectl', () => {
  let cluster: TestCluster;
  const kubeconfigs = new Map<string, string>();

  function kubeconfigFor(name: string, user: Record<string, string>): string {
    const path = join(cluster.dataDir, `${name}.kubeconfig`);
    const ca = cluster.credentials().ca;
    writeFileSync(
      path,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: ${cluster.url}\n    certificate-authority-data: ${b64(ca)}\nusers:\n- name: u\n  user:\n${Object.entries(user)
        .map(([k, v]) => `    ${k}: ${v}\n`)
        .join('')}contexts:\n- name: x\n  context: {cluster: c, user: u, namespace: default}\ncurrent-context: x\n`,
      { mode: 0o600 },
    );
    return path;
  }

  async function as(name: string, args: readonly string[], input?: string): Promise<ExecResult> {
    const kc = kubeconfigs.get(name);
    if (!kc) throw new Error(`no kubeconfig for ${name}`);
    // --server: a restart moves the server to a new port.
    return cluster.kubectl(['--kubeconfig', kc, '--server', cluster.url, ...args], { input, env: { KUBECONFIG: kc } });
  }

  async function canI(name: string, args: readonly string[]): Promise<string> {
    return (await as(name, ['auth', 'can-i', ...args])).stdout.trim();
  }

  before(async () => {
    cluster = await TestCluster.start({ args: ['--enable-admission-plugins', 'NodeRestriction'] });
    const tls = join(cluster.dataDir, 'tls');
    const ca = await CertificateAuthority.load({ certPem: readFileSync(join(tls, 'ca.crt'), 'utf8'), keyPem: readFileSync(join(tls, 'ca.key'), 'utf8') });
    for (const [name, groups] of [['alice', []], ['bob', ['devs']], ['system:node:n1', ['system:nodes']]] as const) {
      const pair = await ca.issue({ commonName: name, organizations: groups, usage: 'client' });
      kubeconfigs.set(name, kubeconfigFor(name, { 'client-certificate-data': b64(pair.certPem), 'client-key-data': b64(pair.keyPem) }));
    }
    await cluster.kubectlOk(['create', 'namespace', 'team']);
  });

  after(async () => {
    await cluster?.stop();
  });

  void it('keeps the admin all-powerful and bootstraps the default roles', async () => {
    assert.equal((await cluster.kubectlOk(['auth', 'can-i', 'delete', 'nodes'])).trim(), 'yes');
    const roles = await cluster.kubectlOk(['get', 'clusterroles', '-o', 'name']);
    for (const r of ['cluster-admin', 'admin', 'edit', 'view', 'system:basic-user', 'system:discovery', 'system:node']) assert.match(roles, new RegExp(`^clusterrole.rbac.authorization.k8s.io/${r}$`, 'm'));
    const crb = await cluster.kubectlOk(['get', 'clusterrolebinding', 'cluster-admin', '-o', 'jsonpath={.subjects[0].name}']);
    assert.equal(crb, 'system:masters');
    // The aggregation controller fills admin/edit/view from the aggregate-to-* roles.
    await eventually(async () => (await cluster.kubectlOk(['get', 'clusterrole', 'view', '-o', 'jsonpath={.rules[*].resources}'])).includes('pods'));
    await eventually(async () => (await cluster.kubectlOk(['get', 'clusterrole', 'admin', '-o', 'jsonpath={.rules[*].resources}'])).includes('rolebindings'));
  });

  void it('answers a user without bindings with upstream Forbidden texts', async () => {
    assert.equal(await canI('alice', ['list', 'pods']), 'no');
    assert.equal(await canI('alice', ['create', 'selfsubjectaccessreviews.authorization.k8s.io']), 'yes');
    const r = await as('alice', ['get', 'pods']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(Forbidden\): pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"/);
  });

  void it('lets a namespaced Role list pods there and nowhere else', async () => {
    await cluster.kubectlOk(['create', 'role', 'pod-reader', '-n', 'team', '--verb=get,list,watch', '--resource=pods']);
    await cluster.kubectlOk(['create', 'rolebinding', 'alice-reads', '-n', 'team', '--role=pod-reader', '--user=alice']);
    await eventually(async () => (await as('alice', ['get', 'pods', '-n', 'team'])).code === 0);
    const other = await as('alice', ['get', 'pods', '-n', 'kube-system']);
    assert.match(other.stderr, /pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "kube-system"/);
    const get = await as('alice', ['get', 'configmap', 'x', '-n', 'team']);
    assert.match(get.stderr, /configmaps "x" is forbidden: User "alice" cannot get resource "configmaps" in API group "" in the namespace "team"/);
    const list = (await as('alice', ['auth', 'can-i', '--list', '-n', 'team'])).stdout;
    assert.match(list, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    assert.match(list, /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
  });

  void it('impersonates with --as only for those allowed to', async () => {
    assert.equal((await cluster.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team', '--as', 'alice'])).stdout.trim(), 'yes');
    assert.equal((await cluster.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team', '--as', 'bob'])).stdout.trim(), 'no');
    assert.equal((await cluster.kubectl(['auth', 'can-i', 'list', 'pods', '-n', 'team', '--as', 'carol', '--as-group', 'system:masters'])).stdout.trim(), 'yes');
    const r = await as('alice', ['get', 'pods', '-n', 'team', '--as', 'bob']);
    assert.match(r.stderr, /users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope/);
  });

  void it('refuses escalation through roles and bindings', async () => {
    await cluster.kubectlOk(['create', 'rolebinding', 'bob-admin', '-n', 'team', '--clusterrole=admin', '--group=devs']);
    await eventually(async () => (await canI('bob', ['create', 'roles', '-n', 'team'])) === 'yes');
    // Within bob's rights: fine.
    const ok = await as('bob', ['create', 'role', 'cm-reader', '-n', 'team', '--verb=get', '--resource=configmaps']);
    assert.equal(ok.code, 0, ok.stderr);
    const role = await as('bob', ['create', 'role', 'node-reader', '-n', 'team', '--verb=get', '--resource=nodes']);
    assert.notEqual(role.code, 0);
    assert.match(role.stderr, /roles\.rbac\.authorization\.k8s\.io "node-reader" is forbidden: user "bob" \(groups=\["devs" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n\{APIGroups:\[""\], Resources:\["nodes"\], Verbs:\["get"\]\}/);
    const bind = await as('bob', ['create', 'rolebinding', 'steal', '-n', 'team', '--clusterrole=cluster-admin', '--user=bob']);
    assert.notEqual(bind.code, 0);
    assert.match(bind.stderr, /rolebindings\.rbac\.authorization\.k8s\.io "steal" is forbidden: user "bob" .* is attempting to grant RBAC permissions not currently held/);
    // Binding a role bob holds is allowed.
    const view = await as('bob', ['create', 'rolebinding', 'alice-view', '-n', 'team', '--clusterrole=view', '--user=alice']);
    assert.equal(view.code, 0, view.stderr);
  });

  void it('authorizes a service account token', async () => {
    await cluster.kubectlOk(['create', 'serviceaccount', 'robot', '-n', 'team']);
    const token = (await cluster.kubectlOk(['create', 'token', 'robot', '-n', 'team'])).trim();
    kubeconfigs.set('robot', kubeconfigFor('robot', { token }));
    assert.equal(await canI('robot', ['list', 'deployments.apps', '-n', 'team']), 'no');
    await cluster.kubectlOk(['create', 'rolebinding', 'robot-edit', '-n', 'team', '--clusterrole=edit', '--serviceaccount=team:robot']);
    await eventually(async () => (await canI('robot', ['list', 'deployments.apps', '-n', 'team'])) === 'yes');
    assert.equal(await canI('robot', ['list', 'deployments.apps', '-n', 'default']), 'no');
  });

  void it('limits a kubelet credential to its node and the objects its pods use', async () => {
    const node = 'system:node:n1';
    await cluster.kubectlOk(['create', 'secret', 'generic', 'used', '-n', 'team', '--from-literal=a=b']);
    await cluster.kubectlOk(['create', 'secret', 'generic', 'unused', '-n', 'team', '--from-literal=a=b']);
    const pod = `apiVersion: v1
kind: Pod
metadata: {name: on-n1, namespace: team}
spec:
  nodeName: n1
  containers: [{name: c, image: busybox}]
  volumes: [{name: s, secret: {secretName: used}}]
`;
    await cluster.kubectlOk(['create', '-f', '-'], { input: pod });
    await eventually(async () => (await as(node, ['get', 'secret', 'used', '-n', 'team'])).code === 0);
    const unused = await as(node, ['get', 'secret', 'unused', '-n', 'team']);
    assert.match(unused.stderr, /secrets "unused" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "team": no relationship found between node 'n1' and this object/);
    assert.equal((await as(node, ['get', 'pods', '-n', 'team'])).code, 0);
    // The node's local-path reclaimer lists, watches and patches (finalizer) volumes; it may not delete them.
    assert.equal(await canI(node, ['patch', 'persistentvolumes']), 'yes');
    assert.equal(await canI(node, ['watch', 'persistentvolumes']), 'yes');
    assert.match(await canI(node, ['delete', 'persistentvolumes']), /^no\b/);
    const plain = await as(node, ['run', 'p', '-n', 'team', '--image=busybox', '--overrides={"spec":{"nodeName":"n1"}}']);
    assert.match(plain.stderr, /pods "p" is forbidden: pod does not have "kubernetes.io\/config.mirror" annotation, node "n1" can only create mirror pods/);
    const other = await as(node, ['create', '-f', '-'], 'apiVersion: v1\nkind: Node\nmetadata: {name: n2}\n');
    assert.match(other.stderr, /node "n1" is not allowed to modify node "n2"/);
    assert.equal((await as(node, ['create', '-f', '-'], 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n')).code, 0);
  });

  void it('reconciles roles with auth reconcile and answers SubjectAccessReviews', async () => {
    const doc = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reconciled, namespace: team}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reconciled, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reconciled}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: dave}
`;
    const out = await cluster.kubectlOk(['auth', 'reconcile', '-f', '-'], { input: doc });
    assert.match(out, /role\.rbac\.authorization\.k8s\.io\/reconciled reconciled/);
    await eventually(async () => (await cluster.kubectl(['auth', 'can-i', 'get', 'secrets', '-n', 'team', '--as', 'dave'])).stdout.trim() === 'yes');
    const sar = `apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: dave
  resourceAttributes: {namespace: team, verb: get, resource: secrets}
`;
    const res = JSON.parse(await cluster.kubectlOk(['create', '-f', '-', '-o', 'json'], { input: sar })) as { status?: { allowed?: boolean; reason?: string } };
    assert.equal(res.status?.allowed, true);
    assert.match(res.status?.reason ?? '', /RoleBinding "reconciled\/team" of Role "reconciled" to User "dave"/);
  });

  void it('re-creates missing bootstrap objects on restart and keeps ones marked autoupdate=false', async () => {
    await cluster.kubectlOk(['delete', 'clusterrolebinding', 'system:basic-user']);
    await cluster.kubectlOk(['annotate', 'clusterrole', 'system:discovery', '--overwrite', 'rbac.authorization.kubernetes.io/autoupdate=false']);
    await cluster.kubectlOk(['patch', 'clusterrole', 'system:discovery', '--type=json', '-p', '[{"op":"replace","path":"/rules","value":[{"verbs":["get"],"nonResourceURLs":["/api"]}]}]']);
    await cluster.restart('SIGTERM');
    assert.equal(await cluster.kubectlOk(['get', 'clusterrolebinding', 'system:basic-user', '-o', 'jsonpath={.subjects[0].name}']), 'system:authenticated');
    assert.equal(await cluster.kubectlOk(['get', 'clusterrole', 'system:discovery', '-o', 'jsonpath={.rules[0].nonResourceURLs}']), '["/api"]');
    assert.equal(await canI('alice', ['list', 'pods', '-n', 'team']), 'yes');
  });
});
