/**
 * Audit log with a real server: `--audit-log-path` and `--audit-policy-file` produce audit.k8s.io/v1 Event lines
 * for kubectl's requests with the right user, stages and objects; secrets stay at Metadata and no credential
 * (bearer token, secret value) ever reaches the audit file or the server's own log.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, runCommand, TestCluster } from '../harness/test-cluster.js';

interface Event {
  stage: string;
  level: string;
  verb: string;
  auditID: string;
  user: { username?: string; groups?: string[] };
  objectRef?: { resource?: string; namespace?: string; name?: string };
  responseStatus?: { code: number };
  requestObject?: { metadata?: { name?: string } };
  responseObject?: unknown;
  sourceIPs: string[];
  userAgent?: string;
  impersonatedUser?: { username?: string; groups?: string[] };
  annotations?: Record<string, string>;
}

describe('audit log', () => {
  let c: TestCluster;
  const tmp = mkdtempSync(join(tmpdir(), 'tkube-audit-'));
  const logPath = join(tmp, 'audit.log');
  const token = 'AuditTestBearer0123456789abcdef';
  const read = (): Event[] => (existsSync(logPath) ? readFileSync(logPath, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Event) : []);

  before(async () => {
    const policy = join(tmp, 'policy.yaml');
    writeFileSync(
      policy,
      [
        'apiVersion: audit.k8s.io/v1',
        'kind: Policy',
        'omitStages: [RequestReceived]',
        'rules:',
        '  - level: None',
        '    nonResourceURLs: ["/readyz*", "/livez*", "/healthz*"]',
        '  - level: Metadata',
        '    resources: [{group: "", resources: ["secrets"]}]',
        '  - level: RequestResponse',
        '    resources: [{group: "", resources: ["configmaps"]}]',
        '  - level: Metadata',
        '',
      ].join('\n'),
    );
    const tokens = join(tmp, 'tokens.csv');
    writeFileSync(tokens, `${token},auditor,uid-1,"system:masters"\n`);
    c = await TestCluster.start({ args: ['--audit-log-path', logPath, '--audit-policy-file', policy, '--token-auth-file', tokens] });
  });
  after(async () => {
    await c?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('records a create with the user, the object and the response at the policy level', async () => {
    await c.kubectlOk(['create', 'configmap', 'audited', '--from-literal=k=v']);
    const done = await eventually(() => read().find((e) => e.verb === 'create' && e.objectRef?.resource === 'configmaps' && e.requestObject?.metadata?.name === 'audited' && e.stage === 'ResponseComplete'));
    assert.equal(done.user.username, 'system:admin');
    assert.ok(done.user.groups?.includes('system:masters'));
    assert.equal(done.level, 'RequestResponse');
    assert.equal(done.objectRef?.namespace, 'default');
    assert.equal(done.responseStatus?.code, 201);
    assert.equal(done.requestObject?.metadata?.name, 'audited');
    assert.ok(done.responseObject);
    assert.ok(done.sourceIPs.includes('127.0.0.1'));
    assert.match(done.userAgent ?? '', /kubectl/);
    assert.equal(read().some((e) => e.stage === 'RequestReceived'), false, 'omitted stage was written');
  });

  it('keeps secrets at Metadata and never writes bearer tokens', async () => {
    await c.kubectlOk(['create', 'secret', 'generic', 'hidden', '--from-literal=password=AuditSecretMarker42']);
    const r = await runCommand('kubectl', ['--kubeconfig', '/dev/null', '--server', c.url, '--insecure-skip-tls-verify', '--token', token, 'get', 'secret', 'hidden']);
    assert.equal(r.code, 0, r.stderr);
    const got = await eventually(() => read().find((e) => e.verb === 'get' && e.user.username === 'auditor' && e.objectRef?.name === 'hidden'));
    assert.equal(got.level, 'Metadata');
    const created = read().find((e) => e.verb === 'create' && e.objectRef?.resource === 'secrets');
    assert.equal(created?.level, 'Metadata');
    assert.equal(created?.requestObject, undefined);
    const text = readFileSync(logPath, 'utf8');
    for (const secret of [token, 'AuditSecretMarker42', Buffer.from('AuditSecretMarker42').toString('base64')]) {
      assert.equal(text.includes(secret), false, 'credential in the audit log');
      assert.equal(c.log.includes(secret), false, 'credential in the server log');
    }
  });

  it('records a watch with ResponseStarted and failed authentication with 401', async () => {
    const res = await c.stream('/api/v1/namespaces/default/configmaps?watch=true');
    res.destroy();
    await eventually(() => read().find((e) => e.verb === 'watch' && e.stage === 'ResponseStarted'));
    const bad = await runCommand('kubectl', ['--kubeconfig', '/dev/null', '--server', c.url, '--insecure-skip-tls-verify', '--token', 'wrong-token-xyz', 'get', 'pods']);
    assert.notEqual(bad.code, 0);
    await eventually(() => read().find((e) => e.responseStatus?.code === 401));
    assert.equal(readFileSync(logPath, 'utf8').includes('wrong-token-xyz'), false);
  });

  it('records the impersonated user beside the requestor', async () => {
    await c.kubectlOk(['get', 'configmaps', '--as', 'jane', '--as-group', 'system:masters', '-n', 'kube-public']);
    const got = await eventually(() => read().find((e) => e.verb === 'list' && e.objectRef?.namespace === 'kube-public' && e.impersonatedUser !== undefined));
    assert.equal(got.user.username, 'system:admin');
    assert.equal(got.impersonatedUser?.username, 'jane');
    assert.ok(got.impersonatedUser?.groups?.includes('system:masters'));
  });

  it('carries PodSecurity audit-mode violations and the enforce policy as annotations', async () => {
    await c.kubectlOk(['create', 'namespace', 'psa-audit']);
    await c.kubectlOk(['label', 'namespace', 'psa-audit', 'pod-security.kubernetes.io/audit=restricted']);
    await c.kubectlOk(['run', 'loose', '-n', 'psa-audit', '--image=busybox', '--restart=Never']);
    const got = await eventually(() => read().find((e) => e.verb === 'create' && e.objectRef?.resource === 'pods' && e.objectRef.namespace === 'psa-audit' && e.stage === 'ResponseComplete'));
    assert.match(got.annotations?.['pod-security.kubernetes.io/audit-violations'] ?? '', /^would violate PodSecurity "restricted:latest": /);
    assert.equal(got.annotations?.['pod-security.kubernetes.io/enforce-policy'], 'privileged:latest');
  });
});
