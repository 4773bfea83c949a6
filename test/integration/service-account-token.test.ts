/**
 * serviceaccounts/token (TokenRequest) with real kubectl: `kubectl create token` issues a JWT that authenticates
 * as the service account, is refused once the service account is deleted, and bad requests get upstream's errors.
 * Also pods/log's answers for a pod no node runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand, TestCluster } from '../harness/test-cluster.js';

describe('service-account tokens and pod logs', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start();
  });
  after(async () => {
    await c?.stop();
  });

  const asToken = (token: string, ...args: string[]) =>
    runCommand('kubectl', ['--kubeconfig', '/dev/null', '--server', c.url, '--insecure-skip-tls-verify', '--token', token, ...args]);

  it('kubectl create token authenticates as the service account until it is deleted', async () => {
    await c.kubectlOk(['create', 'serviceaccount', 'robot']);
    const token = (await c.kubectlOk(['create', 'token', 'robot', '--duration=1h', '--audience=https://kubernetes.default.svc.cluster.local'])).trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const who = await asToken(token, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    assert.equal(who.code, 0, who.stderr);
    assert.equal(who.stdout, 'system:serviceaccount:default:robot');
    await c.kubectlOk(['delete', 'serviceaccount', 'robot']);
    const denied = await asToken(token, 'get', 'namespaces');
    assert.notEqual(denied.code, 0);
    // kubectl words a 401 on discovery as "provide credentials" and on a request as "(Unauthorized)".
    assert.match(denied.stderr, /You must be logged in to the server/);
  });

  it('a token for a missing account or a too-short duration is refused with upstream messages', async () => {
    const missing = await c.kubectl(['create', 'token', 'nosuch']);
    assert.match(missing.stderr, /serviceaccounts "nosuch" not found/);
    await c.kubectlOk(['create', 'serviceaccount', 'shorty']);
    const short = await c.kubectl(['create', 'token', 'shorty', '--duration=1m']);
    assert.notEqual(short.code, 0);
    assert.match(short.stderr, /may not specify a duration less than 10 minutes/);
  });

  it('a forged token is refused', async () => {
    const token = (await c.kubectlOk(['create', 'token', 'shorty'])).trim();
    const [h, p] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'x' })).toString('base64url')}.${token.split('.')[2]}`;
    const r = await asToken(forged, 'get', 'namespaces');
    assert.match(r.stderr, /You must be logged in to the server/);
  });

  it('kubectl logs of a pod without a node says so', async () => {
    await c.kubectlOk(['run', 'lonely', '--image=busybox', '--', 'sleep', '3600']);
    const r = await c.kubectl(['logs', 'lonely']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(BadRequest\): pod lonely does not have a host assigned/);
    const bad = await c.kubectl(['logs', 'lonely', '-c', 'nope']);
    assert.match(bad.stderr, /container nope is not valid for pod lonely/);
  });
});
