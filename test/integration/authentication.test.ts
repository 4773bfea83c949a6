/**
 * Authentication with real kubectl: `--token-auth-file` users, bootstrap tokens backed by kube-system Secrets
 * (refused once deleted or expired), pod-bound service-account tokens that stop working when the pod is deleted,
 * legacy Secret-based tokens, TokenReview, and the OIDC issuer discovery documents.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, runCommand, TestCluster, tkubeArgv } from '../harness/test-cluster.js';

describe('authentication', () => {
  let c: TestCluster;
  const tmp = mkdtempSync(join(tmpdir(), 'tkube-authn-'));
  before(async () => {
    const tokens = join(tmp, 'tokens.csv');
    writeFileSync(tokens, '# static users\nstatic-token-alice-0001,alice,uid-alice,"devs,system:masters"\nstatic-token-bob-0002,bob,uid-bob\n');
    c = await TestCluster.start({ args: ['--token-auth-file', tokens] });
  });
  after(async () => {
    await c?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const asToken = (token: string, ...args: string[]) =>
    runCommand('kubectl', ['--kubeconfig', '/dev/null', '--server', c.url, '--insecure-skip-tls-verify', '--token', token, ...args]);
  const whoami = async (token: string): Promise<{ username?: string; groups?: string[] } | undefined> => {
    const r = await asToken(token, 'auth', 'whoami', '-o', 'json');
    if (r.code !== 0) return undefined;
    return (JSON.parse(r.stdout) as { status: { userInfo: { username?: string; groups?: string[] } } }).status.userInfo;
  };

  it('a --token-auth-file token works with kubectl --token', async () => {
    const alice = await whoami('static-token-alice-0001');
    assert.equal(alice?.username, 'alice');
    assert.deepEqual(alice?.groups, ['devs', 'system:masters', 'system:authenticated']);
    assert.equal((await whoami('static-token-bob-0002'))?.username, 'bob');
    assert.equal(await whoami('static-token-nobody'), undefined);
  });

  it('a bootstrap token authenticates until its Secret is deleted, and not after it expires', async () => {
    const secret = (id: string, expiration: string) => `apiVersion: v1
kind: Secret
metadata: {name: bootstrap-token-${id}, namespace: kube-system}
type: bootstrap.kubernetes.io/token
stringData:
  token-id: ${id}
  token-secret: 0123456789abcdef
  usage-bootstrap-authentication: "true"
  auth-extra-groups: system:bootstrappers:worker
  expiration: ${expiration}
`;
    await c.kubectlOk(['apply', '-f', '-'], { input: secret('abcdef', new Date(Date.now() + 3_600_000).toISOString()) });
    const user = await eventually(() => whoami('abcdef.0123456789abcdef'));
    assert.equal(user.username, 'system:bootstrap:abcdef');
    assert.deepEqual(user.groups, ['system:bootstrappers', 'system:bootstrappers:worker', 'system:authenticated']);
    await c.kubectlOk(['-n', 'kube-system', 'delete', 'secret', 'bootstrap-token-abcdef']);
    await eventually(async () => (await whoami('abcdef.0123456789abcdef')) === undefined, 10_000);
    await c.kubectlOk(['apply', '-f', '-'], { input: secret('zyxwvu', '2020-01-01T00:00:00Z') });
    assert.equal(await whoami('zyxwvu.0123456789abcdef'), undefined);
  });

  it('tkube token create makes a bootstrap token that authenticates', async () => {
    const r = await runCommand(process.execPath, [...tkubeArgv(), 'token', 'create', '--token-only', '--data-dir', c.dataDir, '--ttl', '1h'], { env: { ...process.env, HOME: c.dataDir } });
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const user = await eventually(() => whoami(token));
    assert.equal(user.username, `system:bootstrap:${token.slice(0, 6)}`);
    assert.ok(user.groups?.includes('system:bootstrappers:kubeadm:default-node-token'));
  });

  it('a pod-bound service-account token stops working once the pod is deleted', async () => {
    await c.kubectlOk(['create', 'serviceaccount', 'builder']);
    await c.kubectlOk(['run', 'bound', '--image=busybox', '--overrides={"spec":{"serviceAccountName":"builder"}}', '--', 'sleep', '3600']);
    const token = (await c.kubectlOk(['create', 'token', 'builder', '--bound-object-kind', 'Pod', '--bound-object-name', 'bound', '--duration', '1h'])).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { 'kubernetes.io': { pod?: { name: string } } };
    assert.equal(claims['kubernetes.io'].pod?.name, 'bound');
    assert.equal((await whoami(token))?.username, 'system:serviceaccount:default:builder');
    await c.kubectlOk(['delete', 'pod', 'bound', '--grace-period=0', '--force', '--wait=false']);
    await eventually(async () => (await whoami(token)) === undefined, 10_000);
  });

  it('a token stops working when its service account is recreated with a new uid', async () => {
    await c.kubectlOk(['create', 'serviceaccount', 'phoenix']);
    const token = (await c.kubectlOk(['create', 'token', 'phoenix'])).trim();
    assert.equal((await whoami(token))?.username, 'system:serviceaccount:default:phoenix');
    await c.kubectlOk(['delete', 'serviceaccount', 'phoenix']);
    await c.kubectlOk(['create', 'serviceaccount', 'phoenix']);
    await eventually(async () => (await whoami(token)) === undefined, 10_000);
  });

  it('a token with another audience is refused by the API but carries it', async () => {
    const token = (await c.kubectlOk(['create', 'token', 'builder', '--audience', 'vault'])).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { aud: string[] };
    assert.deepEqual(claims.aud, ['vault']);
    assert.equal(await whoami(token), undefined);
  });

  it('a kubernetes.io/service-account-token Secret gets a token that works until the Secret is deleted', async () => {
    await c.kubectlOk(['create', 'serviceaccount', 'legacy']);
    await c.kubectlOk(['apply', '-f', '-'], {
      input: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: legacy-token\n  annotations: {kubernetes.io/service-account.name: legacy}\ntype: kubernetes.io/service-account-token\n',
    });
    const encoded = await eventually(async () => (await c.kubectlOk(['get', 'secret', 'legacy-token', '-o', 'jsonpath={.data.token}'])).trim());
    const token = Buffer.from(encoded, 'base64').toString();
    assert.equal((await c.kubectlOk(['get', 'secret', 'legacy-token', '-o', 'jsonpath={.data.namespace}'])).trim(), Buffer.from('default').toString('base64'));
    assert.equal((await whoami(token))?.username, 'system:serviceaccount:default:legacy');
    await c.kubectlOk(['delete', 'secret', 'legacy-token']);
    await eventually(async () => (await whoami(token)) === undefined, 10_000);
  });

  it('TokenReview answers for static and service-account tokens', async () => {
    const review = async (token: string) => {
      const out = await c.kubectlOk(['create', '-o', 'json', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }),
      });
      return (JSON.parse(out) as { status: { authenticated?: boolean; user?: { username?: string } } }).status;
    };
    assert.equal((await review('static-token-bob-0002')).user?.username, 'bob');
    const sa = (await c.kubectlOk(['create', 'token', 'builder'])).trim();
    assert.equal((await review(sa)).user?.username, 'system:serviceaccount:default:builder');
    assert.notEqual((await review('nope')).authenticated, true);
  });

  it('TokenReview honours spec.audiences', async () => {
    const review = async (token: string, audiences?: string[]) => {
      const out = await c.kubectlOk(['create', '-o', 'json', '-f', '-'], {
        input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) } }),
      });
      return (JSON.parse(out) as { status: { authenticated?: boolean; audiences?: string[]; user?: { username?: string } } }).status;
    };
    const vault = (await c.kubectlOk(['create', 'token', 'builder', '--audience', 'vault'])).trim();
    const forVault = await review(vault, ['vault', 'other']);
    assert.equal(forVault.authenticated, true);
    assert.deepEqual(forVault.audiences, ['vault']);
    assert.equal(forVault.user?.username, 'system:serviceaccount:default:builder');
    // Without audiences the API server's own is asked for, which a vault token is not valid for.
    assert.notEqual((await review(vault)).authenticated, true);
    const api = (await c.kubectlOk(['create', 'token', 'builder'])).trim();
    assert.notEqual((await review(api, ['vault'])).authenticated, true);
    assert.deepEqual((await review(api)).audiences, ['https://kubernetes.default.svc.cluster.local']);
    // Static tokens know no audience: only the API server's own.
    assert.notEqual((await review('static-token-bob-0002', ['vault'])).authenticated, true);
  });

  it('serves the OIDC discovery document and the JWKS that verifies our tokens', async () => {
    const conf = await c.request('/.well-known/openid-configuration');
    assert.equal(conf.status, 200, conf.body);
    const doc = JSON.parse(conf.body) as { issuer: string; jwks_uri: string; id_token_signing_alg_values_supported: string[] };
    assert.equal(doc.issuer, 'https://kubernetes.default.svc.cluster.local');
    assert.match(doc.jwks_uri, /\/openid\/v1\/jwks$/);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ['ES256']);
    const sa = (await c.kubectlOk(['create', 'token', 'builder'])).trim();
    const kid = (JSON.parse(Buffer.from(sa.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid;
    const jwks = await c.request('/openid/v1/jwks');
    assert.equal(jwks.status, 200);
    const keys = (JSON.parse(jwks.body) as { keys: { kid: string; kty: string; crv: string }[] }).keys;
    assert.equal(keys[0]?.kid, kid);
    assert.equal(keys[0]?.crv, 'P-256');
    // A service account may read them with its own token.
    const asSa = await runCommand('kubectl', ['--kubeconfig', '/dev/null', '--server', c.url, '--insecure-skip-tls-verify', '--token', sa, 'get', '--raw', '/openid/v1/jwks']);
    assert.equal(asSa.code, 0, asSa.stderr);
  });
});
