/**
 * Client libraries streaming into a runc pod through the API server: @kubernetes/client-node 1.4.0 `PortForward`
 * (the legacy WebSocket channels, `?ports=`) and `Exec` (with stdin), and Debian's python3-kubernetes (22.6)
 * `kubernetes.stream.stream(connect_get_namespaced_pod_exec)` (v4 WebSocket) and `kubernetes.stream.portforward`,
 * driven by test/python/stream-clients.py. A busybox httpd on port 80 is the pod being reached.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { pythonClientMissing, runPythonSteps } from '../harness/python-client.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, REPO_ROOT, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();
const SCRIPT = join(REPO_ROOT, 'test', 'python', 'stream-clients.py');
const GET = 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n';

const pythonMissing = skip ? undefined : await pythonClientMissing('kubernetes.stream');

/** collector is a Writable that keeps what was written, and tells when it has ended. */
function collector(): { stream: Writable; text: () => string; finished: Promise<void> } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      chunks.push(Buffer.from(chunk));
      cb();
    },
  });
  const finished = new Promise<void>((resolve) => stream.once('finish', () => resolve()));
  return { stream, text: () => Buffer.concat(chunks).toString(), finished };
}

/** within waits for `p`, failing with `what()` after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

void describe('client libraries streaming into a runc pod through the API server', { skip }, () => {
  let c: TestCluster;
  let kc: k8s.KubeConfig;
  const node = `tkube-sc-${process.pid}`;

  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node] });
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    await c.kubectlOk(['run', 'web', '--image=busybox', '--', 'sh', '-c', 'mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 80 -h /www']);
    await eventually(async () => (await c.kubectlOk(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])) === 'Running', 60_000);
    kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubeconfig);
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  void it('client-node PortForward fetches a page over the legacy WebSocket channels', async () => {
    const pf = new k8s.PortForward(kc);
    const out = collector();
    const err = collector();
    const input = new PassThrough();
    const ws = await pf.portForward('default', 'web', [80], out.stream, err.stream, input);
    assert.ok(!(typeof ws === 'function'));
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    input.write(GET);
    // httpd answers HTTP/1.0 and closes its side; the server then closes the WebSocket.
    await within(closed, 20_000, () => `no close; got ${JSON.stringify(out.text())}`);
    assert.match(out.text(), /^HTTP\/1\.[01] 200 OK/);
    assert.match(out.text(), /hello-from-httpd\n$/);
    assert.equal(err.text(), '');
  });

  void it('client-node PortForward to a port nobody listens on: the error channel says why, no data', async () => {
    const pf = new k8s.PortForward(kc, false);
    const out = collector();
    const err = collector();
    const input = new PassThrough();
    const ws = await pf.portForward('default', 'web', [9], out.stream, err.stream, input);
    assert.ok(!(typeof ws === 'function'));
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    input.write(GET);
    await within(closed, 20_000, () => `no close; got ${JSON.stringify(out.text())} and ${JSON.stringify(err.text())}`);
    assert.equal(out.text(), '');
    assert.match(err.text(), /^error forwarding port 9 to pod web, uid [0-9a-f-]+: Cannot forward port 9/);
  });

  void it('client-node Exec runs a command with stdin and reports the exit code', async () => {
    const exec = new k8s.Exec(kc);
    const run = (cmd: string[], stdin: string | null): Promise<{ out: string; err: string; status: k8s.V1Status }> => {
      const out = collector();
      const err = collector();
      const input = stdin === null ? null : new PassThrough();
      return new Promise((resolve, reject) => {
        exec
          .exec('default', 'web', 'web', cmd, out.stream, err.stream, input, false, (status) => resolve({ out: out.text(), err: err.text(), status }))
          .then(() => input?.end(stdin))
          .catch(reject);
      });
    };
    const upper = await run(['sh', '-c', 'tr a-z A-Z; echo done >&2'], 'typed in\n');
    assert.equal(upper.out, 'TYPED IN\n');
    assert.equal(upper.err, 'done\n');
    assert.equal(upper.status.status, 'Success');
    const page = await run(['cat', '/www/index.html'], null);
    assert.equal(page.out, 'hello-from-httpd\n');
    const failed = await run(['sh', '-c', 'exit 5'], null);
    assert.equal(failed.status.reason, 'NonZeroExitCode');
    assert.equal(failed.status.details?.causes?.[0]?.message, '5');
  });

  void it('python3-kubernetes stream() exec (v4 WebSocket) and portforward', { skip: pythonMissing }, async () => {
    const get = await runPythonSteps(SCRIPT, [c.kubeconfig, 'default', 'web', '80'], c.dataDir);
    // Preloaded output joins stdout and stderr in arrival order; both lines are there.
    assert.deepEqual(String(get('exec').output).split('\n').filter(Boolean).sort(), ['hi-from-python', 'to-stderr']);
    assert.equal(get('exec-stdin').stdout, 'got:typed\n');
    assert.equal(get('exec-stdin').returncode, 3);
    assert.match(String(get('portforward').page), /^HTTP\/1\.[01] 200 OK[\s\S]*hello-from-httpd\n$/);
    assert.equal(get('portforward').error, null);
  });
});
