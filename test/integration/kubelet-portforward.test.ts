/**
 * Port-forward into a real pod: a busybox `httpd` runs in a runc container on a real node, and a page is fetched
 * through the node's KubeletServer `/portForward` (client-cert HTTPS, as the API server dials it) over raw SPDY
 * and over the legacy WebSocket channels, with our own clients; a port nobody listens on yields the error-stream
 * message and no data; and `kubectl port-forward` end to end through the API server's pods/portforward relay
 * (more kubectl cases in kubectl-port-forward.test.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { forwardOnce, readAll, upgradeToSpdy } from '../../src/agent/server/testing/spdy-client.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { eventually, TestCluster, type Credentials } from '../harness/test-cluster.js';

const skip = containerHostMissing();

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

void describe('port-forward into a runc pod', { skip }, () => {
  let c: TestCluster;
  let creds: Credentials;
  let kubelet: { host: string; port: number };
  const node = `tkube-pf-${process.pid}`;

  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0', '--proxy-mode', 'none'] });
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    await c.kubectlOk(['run', 'web', '--image=busybox', '--', 'sh', '-c', 'mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 8080 -h /www']);
    await eventually(async () => (await c.kubectlOk(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])) === 'Running', 60_000);
    const n = JSON.parse(await c.kubectlOk(['get', 'node', node, '-o', 'json'])) as { status: { addresses: { type: string; address: string }[]; daemonEndpoints: { kubeletEndpoint: { Port: number } } } };
    kubelet = { host: n.status.addresses.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1', port: n.status.daemonEndpoints.kubeletEndpoint.Port };
    creds = c.credentials();
  });
  after(async () => {
    if (!c) return;
    // If the node died mid-test its log says why; print the tail instead of losing it.
    if (!(await c.kubectl(['get', 'ns'])).stdout) console.error(`server log tail:\n${c.log.slice(-3000)}`);
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    const runcDir = join(c.dataDir, 'agent', 'runc');
    const sandboxes = existsSync(join(runcDir, 'sandboxes')) ? readdirSync(join(runcDir, 'sandboxes')) : [];
    // A sandbox half made or half removed has no sandbox.json; that must not skip the cleanup below.
    const netns = sandboxes.map((id) => /"netns":"([^"]+)"/.exec(readIfExists(join(runcDir, 'sandboxes', id, 'sandbox.json')))?.[1]).filter(Boolean);
    await c.stop();
    execFileSync('sh', ['-c', `[ -d ${runcDir}/runc ] && runc --root ${runcDir}/runc list -q 2>/dev/null | xargs -r -n1 runc --root ${runcDir}/runc delete --force; grep -o '${runcDir}[^ ]*' /proc/mounts | xargs -r -n1 umount -l; true`]);
    for (const ns of netns) execFileSync('sh', ['-c', `ip netns delete ${ns} 2>/dev/null; true`]);
    execFileSync('sh', ['-c', 'for d in /sys/fs/cgroup/*/kubepods; do rmdir "$d" 2>/dev/null; done; true']);
    rmSync(c.dataDir, { recursive: true, force: true });
  });

  const tls = (): { ca: string; cert: string; key: string } => ({ ca: creds.ca, cert: creds.cert, key: creds.key });
  const get = 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n';

  void it('fetches a page from httpd over raw SPDY through the KubeletServer', async () => {
    const req = request({ host: kubelet.host, port: kubelet.port, path: '/portForward/default/web', method: 'POST', ...tls(), headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'portforward.k8s.io' } });
    const { session } = await upgradeToSpdy(req);
    const ok = await forwardOnce(session, 8080, '0', get);
    assert.match(ok.data.toString(), /^HTTP\/1\.[01] 200 OK/);
    assert.match(ok.data.toString(), /hello-from-httpd\n$/);
    assert.equal(ok.error, '');
    // Nothing listens on port 9 in the pod: an error message, and not a byte of data.
    const bad = await forwardOnce(session, 9, '1', get);
    assert.equal(bad.data.length, 0);
    assert.match(bad.error, /^error forwarding port 9 to pod web, uid [0-9a-f-]+: Cannot forward port 9/);
    await session.close();
  });

  void it('fetches a page over the legacy WebSocket protocol (?ports=8080)', async () => {
    const ws = new WebSocket(`wss://${kubelet.host}:${kubelet.port}/portForward/default/web?ports=8080`, ['v4.channel.k8s.io'], tls());
    const data: Buffer[] = [];
    ws.on('message', (m: Buffer) => {
      if (m[0] === 0) data.push(m.subarray(1));
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(get)]));
    await new Promise((resolve) => ws.once('close', resolve));
    assert.equal(data[0]?.readUInt16LE(0), 8080);
    assert.match(Buffer.concat(data.slice(1)).toString(), /hello-from-httpd\n$/);
  });

  void it('answers 404 for a pod the node does not run', async () => {
    const req = request({ host: kubelet.host, port: kubelet.port, path: '/portForward/default/nope', method: 'POST', ...tls(), headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1' } });
    await assert.rejects(upgradeToSpdy(req), /upgrade refused: 404 pod "nope" in namespace "default" is not running on this node/);
  });

  void it('execs in the container over SPDY (kubectl\'s fallback) through the KubeletServer', async () => {
    const exec = async (query: string): Promise<{ stdout: string; status: string }> => {
      const req = request({ host: kubelet.host, port: kubelet.port, path: `/exec/default/web/web?${query}`, method: 'POST', ...tls(), headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v5.channel.k8s.io, v4.channel.k8s.io' } });
      const { session } = await upgradeToSpdy(req);
      const error = session.openStream({ streamType: 'error' });
      const stdout = session.openStream({ streamType: 'stdout' });
      await Promise.all([error.replied, stdout.replied]);
      error.end();
      stdout.end();
      const [out, status] = await Promise.all([readAll(stdout), readAll(error)]);
      session.destroy();
      return { stdout: out.toString(), status: status.toString() };
    };
    const cat = await exec('command=cat&command=/www/index.html&stdout=1');
    assert.equal(cat.stdout, 'hello-from-httpd\n');
    assert.deepEqual(JSON.parse(cat.status), { metadata: {}, status: 'Success' });
    const fail = await exec(`command=sh&command=-c&command=${encodeURIComponent('echo bye; exit 3')}&stdout=1`);
    assert.equal(fail.stdout, 'bye\n');
    assert.equal((JSON.parse(fail.status) as { details: { causes: { message: string }[] } }).details.causes[0]?.message, '3');
  });

  void it('kubectl port-forward end to end through the API server', async () => {
    const child = spawn('kubectl', ['port-forward', '--address', '127.0.0.1', 'pod/web', ':8080'], { env: { ...process.env, KUBECONFIG: c.kubeconfig, HOME: c.dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      let exited = false;
      child.once('exit', () => (exited = true));
      const local = await eventually(() => {
        if (exited) throw new Error(`kubectl port-forward exited: ${out}`);
        return /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      }, 15_000);
      const page = await new Promise<string>((resolve, reject) => {
        const s = connect(Number(local), '127.0.0.1');
        let body = '';
        s.on('data', (d: Buffer) => (body += d.toString()));
        s.on('close', () => resolve(body));
        s.on('error', reject);
        s.write(get);
      });
      assert.match(page, /hello-from-httpd\n$/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
