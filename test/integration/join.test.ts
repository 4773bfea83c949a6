/**
 * Token join, end to end through the CLI: `tkube token create | list | delete` manage kubectl-visible bootstrap
 * token Secrets and print the join command; the bootstrapsigner signs `kube-public/cluster-info`, which anonymous
 * clients may read (and nothing else); `tkube join` with a good token gets the node a `system:node:<name>` client
 * certificate and a Ready Node (process runtime: no root); an expired, unknown or malformed token and a wrong CA
 * hash fail at once with one line saying which. `tkube init` prints kubeadm's text and a join command that works.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { publicKeyHashOf } from '../../src/pki/certificate-authority.js';
import { eventually, type ExecResult, runCommand, TestCluster, tkubeArgv } from '../harness/test-cluster.js';

const home = mkdtempSync(join(tmpdir(), 'tkube-join-home-'));
const tkube = (args: readonly string[], timeoutMs = 90_000): Promise<ExecResult> =>
  runCommand(process.execPath, [...tkubeArgv(), ...args], { env: { ...process.env, HOME: home }, timeoutMs });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** stopPidFile stops the process whose pid a file holds (SIGTERM, then SIGKILL) and waits for it to go. */
async function stopPidFile(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const pid = Number(readFileSync(path, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  try {
    await eventually(() => !alive(pid), 20_000);
  } catch {
    process.kill(pid, 'SIGKILL');
  }
}

after(() => rmSync(home, { recursive: true, force: true }));

// The cases are independent (own tokens, own data dirs), so they run side by side: most of their time is CLI start-up.
void describe('tkube token and tkube join', { concurrency: true }, () => {
  let c: TestCluster;
  let caHash: string;
  const node = `join-it-${process.pid}`;
  const nodeDir = mkdtempSync(join(tmpdir(), 'tkube-join-node-'));
  const scratch = mkdtempSync(join(tmpdir(), 'tkube-join-scratch-'));
  // Expired a minute ago: tokencleaner keeps an expired token for an hour, so join can still say when it expired.
  const expiredAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString().replace('.000Z', 'Z');
  const expiredSecret = (id: string, expiration = expiredAt): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system' },
      type: 'bootstrap.kubernetes.io/token',
      stringData: { 'token-id': id, 'token-secret': '0123456789abcdef', expiration, 'usage-bootstrap-authentication': 'true', 'usage-bootstrap-signing': 'true', 'auth-extra-groups': 'system:bootstrappers:kubeadm:default-node-token' },
    });
  const join_ = (server: string, args: readonly string[]): Promise<ExecResult> =>
    tkube(['join', server, ...args, '--runtime', 'process', '--node-ip', '127.0.0.1', '--kubelet-port', '0', '--data-dir', scratch, '--wait-timeout', '30'], 60_000);

  before(async () => {
    c = await TestCluster.start();
    caHash = publicKeyHashOf(readFileSync(join(c.dataDir, 'tls', 'ca.crt'), 'utf8'));
  });
  after(async () => {
    await stopPidFile(join(nodeDir, 'agent.pid'));
    await stopPidFile(join(scratch, 'agent.pid'));
    rmSync(nodeDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
    await c?.stop();
  });

  const clusterInfo = async (): Promise<Record<string, string>> =>
    (JSON.parse(await c.kubectlOk(['-n', 'kube-public', 'get', 'configmap', 'cluster-info', '-o', 'json'])) as { data: Record<string, string> }).data;

  void it('token create prints the join command; list and delete manage the Secrets; cluster-info is signed and public', async () => {
    const created = await tkube(['token', 'create', '--data-dir', c.dataDir, '--description', 'for the join test']);
    assert.equal(created.code, 0, created.stderr);
    const m = /^tkube join (\S+) --token (([a-z0-9]{6})\.[a-z0-9]{16}) --discovery-token-ca-cert-hash (sha256:[0-9a-f]{64})\n$/.exec(created.stdout);
    assert.ok(m, created.stdout);
    const [, server, token = '', id = '', hash] = m;
    assert.equal(server, c.url);
    assert.equal(hash, caHash);
    assert.equal(await c.kubectlOk(['-n', 'kube-system', 'get', 'secret', `bootstrap-token-${id}`, '-o', 'jsonpath={.type}']), 'bootstrap.kubernetes.io/token');
    const listed = await tkube(['token', 'list', '--data-dir', c.dataDir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS\n/);
    assert.match(listed.stdout, new RegExp(`^${token.replace('.', '\\.')}\\s+2[34]h\\s+\\S+Z\\s+authentication,signing\\s+for the join test\\s+system:bootstrappers:kubeadm:default-node-token$`, 'm'));
    await eventually(async () => (await clusterInfo())[`jws-kubeconfig-${id}`]);
    // Anonymous clients read cluster-info and nothing else.
    assert.equal((await c.request('/api/v1/namespaces/kube-public/configmaps/cluster-info', { anonymous: true })).status, 200);
    assert.equal((await c.request('/api/v1/namespaces/kube-public/configmaps', { anonymous: true })).status, 401);
    assert.equal((await c.request('/api/v1/namespaces/kube-system/configmaps/cluster-info', { anonymous: true })).status, 401);
    const deleted = await tkube(['token', 'delete', '--data-dir', c.dataDir, token]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `bootstrap token "${id}" deleted\n`);
    assert.equal((await c.kubectl(['-n', 'kube-system', 'get', 'secret', `bootstrap-token-${id}`])).code, 1);
    await eventually(async () => (await clusterInfo())[`jws-kubeconfig-${id}`] === undefined);
    const again = await tkube(['token', 'delete', '--data-dir', c.dataDir, id]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `tkube: bootstrap token "${id}" not found\n`);
  });

  void it('joins with a good token: the node runs as system:node:<name> and becomes Ready', async () => {
    const created = await tkube(['token', 'create', '--data-dir', c.dataDir]);
    assert.equal(created.code, 0, created.stderr);
    const args = created.stdout.trim().split(' ').slice(2);
    const started = Date.now();
    const r = await tkube(['join', ...args, '--runtime', 'process', '--node-name', node, '--node-ip', '127.0.0.1', '--kubelet-port', '0', '--data-dir', nodeDir, '--wait-timeout', '60']);
    const elapsed = Date.now() - started;
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\n${existsSync(join(nodeDir, 'logs', 'agent.log')) ? readFileSync(join(nodeDir, 'logs', 'agent.log'), 'utf8').slice(-3000) : ''}`);
    process.stderr.write(`# tkube join to Ready: ${elapsed} ms (CLI start included)\n`);
    assert.match(r.stdout, /^\[preflight\] Running pre-flight checks$/m);
    assert.match(r.stdout, new RegExp(`^This node has joined the cluster:$`, 'm'));
    assert.match(await c.kubectlOk(['get', 'node', node]), new RegExp(`^${node}\\s+Ready\\s`, 'm'));
    // The node's credential is its own certificate, issued through a CSR the bootstrap token made.
    const kc = parseYaml(readFileSync(join(nodeDir, 'kubelet.kubeconfig'), 'utf8')) as { users: { user: Record<string, string> }[] };
    const cert = new X509Certificate(Buffer.from(kc.users[0]?.user['client-certificate-data'] ?? '', 'base64'));
    assert.deepEqual(cert.subject.split('\n').sort(), [`CN=system:node:${node}`, 'O=system:nodes']);
    const csrs = JSON.parse(await c.kubectlOk(['get', 'csr', '-o', 'json'])) as { items: { spec: { signerName: string; username: string } }[] };
    assert.ok(csrs.items.some((x) => x.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' && x.spec.username.startsWith('system:bootstrap:')));
    assert.ok(csrs.items.some((x) => x.spec.signerName === 'kubernetes.io/kubelet-serving' && x.spec.username === `system:node:${node}`));
    // Its year-long client certificate is not due for renewal: the node asked for no other.
    assert.ok(!csrs.items.some((x) => x.spec.signerName === 'kubernetes.io/kube-apiserver-client-kubelet' && x.spec.username === `system:node:${node}`));
    // A second join from the same data dir while the agent runs is refused.
    const twice = await tkube(['join', ...args, '--runtime', 'process', '--node-name', node, '--data-dir', nodeDir]);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /^tkube: a node agent already runs from .* \(pid \d+\): stop it first/);
  });

  void it('an expired token fails at once, naming when it expired', async () => {
    await c.kubectlOk(['apply', '-f', '-'], { input: expiredSecret('xpired') });
    const started = Date.now();
    const r = await join_(c.url, ['--token', 'xpired.0123456789abcdef', '--discovery-token-ca-cert-hash', caHash]);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stderr.split('\n').filter((l) => l.startsWith('tkube:')).join('\n'), `tkube: token xpired expired at ${expiredAt}: create a new one with \`tkube token create\` on the server`);
    // "At once": a 401 naming the expiry ends discovery with no retry loop. Wall-clock time is mostly CLI start-up
    // and depends on the machine's load, so it is logged, not asserted.
    process.stderr.write(`# expired token refused after ${Date.now() - started} ms (CLI start included)\n`);
  });

  void it('tokencleaner deletes a token that expired more than an hour ago', async () => {
    await c.kubectlOk(['apply', '-f', '-'], { input: expiredSecret('oldtok', '2020-01-01T00:00:00Z') });
    await eventually(async () => (await c.kubectl(['-n', 'kube-system', 'get', 'secret', 'bootstrap-token-oldtok'])).code === 1, 20_000);
  });

  void it('an unknown token and a malformed one are refused with what to do', async () => {
    const unknown = await join_(c.url, ['--token', 'nosuch.0123456789abcdef', '--discovery-token-ca-cert-hash', caHash]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^tkube: token nosuch is not known to the server: create one with `tkube token create` on the server$/m);
    // Malformed: refused before any network traffic (the server address here does not even answer).
    const malformed = await join_('127.0.0.1:1', ['--token', 'ABC.def', '--discovery-token-ca-cert-hash', caHash]);
    assert.equal(malformed.code, 1);
    assert.match(malformed.stderr, /^tkube: the token is malformed: a join token looks like abcdef\.0123456789abcdef/m);
    const noHash = await join_(c.url, ['--token', 'nosuch.0123456789abcdef']);
    assert.equal(noHash.code, 1);
    assert.match(noHash.stderr, /^tkube: give --discovery-token-ca-cert-hash sha256:<hash>/m);
  });

  void it('a wrong CA hash is refused, naming both hashes, before the token is sent anywhere', async () => {
    const created = await tkube(['token', 'create', '--token-only', '--data-dir', c.dataDir]);
    const token = created.stdout.trim();
    const wrong = `sha256:${'ab'.repeat(32)}`;
    const r = await join_(c.url, ['--token', token, '--discovery-token-ca-cert-hash', wrong]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^tkube: refusing to join: the cluster CA at ${c.url} has public key hash ${caHash}, but --discovery-token-ca-cert-hash says ${wrong} `, 'm'));
    const csrs = JSON.parse(await c.kubectlOk(['get', 'csr', '-o', 'json'])) as { items: { spec: { username: string } }[] };
    assert.ok(!csrs.items.some((x) => x.spec.username === `system:bootstrap:${token.slice(0, 6)}`));
  });
});

void describe('tkube init', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tkube-init-'));
  after(async () => {
    const state = join(dataDir, 'server.json');
    if (existsSync(state)) {
      const pid = (JSON.parse(readFileSync(state, 'utf8')) as { pid: number }).pid;
      if (alive(pid)) {
        process.kill(pid, 'SIGTERM');
        await eventually(() => !alive(pid), 30_000).catch(() => process.kill(pid, 'SIGKILL'));
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  void it('starts a control plane in the background and prints what kubeadm prints', async () => {
    const r = await tkube(['init', '--data-dir', dataDir, '--https-listen-port', '0', '--bind-address', '127.0.0.1', '--apiserver-advertise-address', '127.0.0.1', '--pod-network-cidr', '10.244.0.0/16', '--disable-agent']);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const out = r.stdout;
    assert.match(out, /^\[init\] Using Kubernetes version: v1\.\d+\.\d+/m);
    assert.match(out, /^\[bootstrap-token\] Using token: [a-z0-9]{6}\.[a-z0-9]{16}$/m);
    assert.match(out, /^Your Kubernetes control-plane has initialized successfully!$/m);
    assert.match(out, /^ {2}mkdir -p \$HOME\/\.kube$/m);
    assert.ok(out.includes(`  sudo cp -i ${join(dataDir, 'admin.kubeconfig')} $HOME/.kube/config\n`), out);
    assert.match(out, /^ {2}sudo chown \$\(id -u\):\$\(id -g\) \$HOME\/\.kube\/config$/m);
    assert.match(out, /10\.244\.0\.0\/16/);
    const m = /^tkube join (https:\/\/127\.0\.0\.1:\d+) --token [a-z0-9]{6}\.[a-z0-9]{16} \\\n\t--discovery-token-ca-cert-hash (sha256:[0-9a-f]{64}) \\\n\t--pod-network-cidr 10\.244\.0\.0\/16$/m.exec(out);
    assert.ok(m, out);
    assert.equal(m[2], publicKeyHashOf(readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8')));
    // kubeadm leaves ~/.kube/config alone: the user copies admin.kubeconfig.
    assert.equal(existsSync(join(home, '.kube', 'config')), false);
    const nodes = await runCommand('kubectl', ['--kubeconfig', join(dataDir, 'admin.kubeconfig'), 'get', 'namespaces', '-o', 'name']);
    assert.match(nodes.stdout, /namespace\/kube-public/);

    // tkube reset undoes it: one line per thing, then nothing left to do.
    const pid = (JSON.parse(readFileSync(join(dataDir, 'server.json'), 'utf8')) as { pid: number }).pid;
    const reset = await tkube(['reset', '--data-dir', dataDir, '--no-kubeconfig-context']);
    assert.equal(reset.code, 0, `${reset.stdout}\n${reset.stderr}`);
    assert.ok(reset.stdout.includes(`[reset] Stopped the server (pid ${pid})\n`), reset.stdout);
    assert.ok(reset.stdout.includes(`[reset] Removed the data dir ${dataDir}\n`), reset.stdout);
    assert.equal(existsSync(dataDir), false);
    const again = await tkube(['reset', '--data-dir', dataDir, '--no-kubeconfig-context']);
    assert.match(again.stdout, /^\[reset\] Nothing to reset/m);
  });
});
