/**
 * The README's first command: `./tkube up` gives a running cluster that kubectl can use, through the real
 * launcher, with HOME pointed at a temp dir so the user's ~/.kube/config is never touched, and a real node whose
 * pods run (and stop with `down`, and come back with the next `up`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/base/net/free-port.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { eventually, REPO_ROOT, runCommand } from '../harness/test-cluster.js';

/** nftTables lists the host's nftables tables (`nft list tables`), one `table <family> <name>` a line. */
function nftTables(): string[] {
  return execFileSync('nft', ['list', 'tables']).toString().split('\n').map((l) => l.trim().split(' ')[2] ?? '');
}

describe('./tkube up | status | down | delete', () => {
  const home = mkdtempSync(join(tmpdir(), 'tkube-home-'));
  const dataDir = join(home, 'data');
  const env = { ...process.env, HOME: home, KUBECONFIG: '', LANG: 'C' };
  let port = 0;
  // The node's names, bridge and pod range are this test's own (other tests run nodes at the same time), and it
  // never pulls from outside (registries.yaml: docker.io has no endpoint).
  const nodeFlags = ['--node-name', `tkube-up-${process.pid}`, '--kubelet-port', '0', '--pod-bridge-name', `tkup${process.pid % 100000}`, '--cluster-cidr', '10.251.0.0/16', '--private-registry', join(home, 'registries.yaml'), '--disable-default-registry-endpoint', '--ingress-http-port', '0', '--ingress-https-port', '0'];
  const upArgs = (): string[] => ['up', '--data-dir', dataDir, '--https-listen-port', String(port), '--bind-address', '127.0.0.1', '--cluster-dns-port', '0', ...nodeFlags];
  const tkube = (...args: string[]) => runCommand(join(REPO_ROOT, 'tkube'), args, { env, timeoutMs: 120_000 });
  const kubectl = (...args: string[]) => runCommand('kubectl', ['--context', 'tkube', ...args], { env: { ...env, KUBECONFIG: join(home, '.kube', 'config') } });

  before(async () => {
    port = await freePort();
    writeFileSync(join(home, 'registries.yaml'), 'mirrors:\n  docker.io:\n    endpoint: []\n');
  });
  after(async () => {
    await tkube('down', '--data-dir', dataDir);
    rmSync(home, { recursive: true, force: true });
  });

  it('up starts a cluster in the background and merges context "tkube" into ~/.kube/config', async () => {
    const r = await tkube(...upArgs());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /Done! kubectl is now configured to use "tkube" cluster and "default" namespace by default/);
    assert.match(r.stdout, /^\* {2}/m, 'plain ASCII glyphs when not a UTF-8 terminal');
    const kc = readFileSync(join(home, '.kube', 'config'), 'utf8');
    assert.match(kc, /current-context: tkube/);
    assert.match(kc, new RegExp(`server: https://127.0.0.1:${port}`));
    const ns = await kubectl('get', 'namespaces', '-o', 'name');
    assert.equal(ns.code, 0, ns.stderr);
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(ns.stdout, new RegExp(`namespace/${n}`));
    assert.ok(existsSync(join(dataDir, 'admin.kubeconfig')));
  });

  it('a second up reports the running cluster', async () => {
    const r = await tkube(...upArgs());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /already running/);
  });

  it('status prints minikube-like fields', async () => {
    const r = await tkube('status', '--data-dir', dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^host: Running$/m);
    assert.match(r.stdout, /^apiserver: Running$/m);
    assert.match(r.stdout, /^kubeconfig: Configured$/m);
    assert.match(r.stdout, /^kubelet: Running$/m);
  });

  it('runs pods on its node; down stops them with the server', async () => {
    assert.equal((await kubectl('run', 'sleeper', '--image=busybox', '--', 'sleep', '3600')).code, 0);
    await eventually(async () => ((await kubectl('get', 'pod', 'sleeper', '-o', 'jsonpath={.status.phase}')).stdout === 'Running' ? true : undefined), 90_000);
  });

  it('down stops the cluster and keeps its data; up brings the objects back', async () => {
    assert.equal((await kubectl('create', 'configmap', 'kept', '--from-literal=a=b')).code, 0);
    // A runc node enforces NetworkPolicies in a table of its own, which down removes with the rest of the node.
    const policyTable = `tkube-np-tkube-up-${process.pid}`;
    const runc = containerHostMissing() === false;
    if (runc) await eventually(() => nftTables().includes(policyTable), 30_000);
    const down = await tkube('down', '--data-dir', dataDir);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /1 node stopped/);
    assert.match(down.stdout, /Stopped 1 pod of the node/);
    if (runc) assert.equal(nftTables().includes(policyTable), false, 'down removes the NetworkPolicy table');
    const st = await tkube('status', '--data-dir', dataDir);
    assert.equal(st.code, 7);
    assert.match(st.stdout, /^host: Stopped$/m);
    const up = await tkube(...upArgs());
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const cm = await kubectl('get', 'configmap', 'kept', '-o', 'jsonpath={.data.a}');
    assert.equal(cm.stdout, 'b');
    // The pod comes back on the restarted node.
    await eventually(async () => ((await kubectl('get', 'pod', 'sleeper', '-o', 'jsonpath={.status.phase}')).stdout === 'Running' ? true : undefined), 90_000);
  });

  it('delete removes the data dir and the kubeconfig context', async () => {
    const r = await tkube('delete', '--data-dir', dataDir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Removed all traces of the "tkube" cluster/);
    assert.equal(existsSync(dataDir), false);
    assert.doesNotMatch(readFileSync(join(home, '.kube', 'config'), 'utf8'), /name: tkube/);
  });

  it('bad input gets one plain line, not a stack trace', async () => {
    const r = await tkube('server', '--data-dir', dataDir, '--https-listen-port', 'notaport');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /^tkube: invalid port "notaport"/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const u = await tkube('frobnicate');
    assert.notEqual(u.code, 0);
    assert.match(u.stderr, /unknown command 'frobnicate'/);
  });
});
