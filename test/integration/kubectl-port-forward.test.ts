/**
 * Real kubectl streaming into a runc pod through the API server's pods/portforward and pods/exec relay:
 * `kubectl port-forward` (1.32) to a busybox httpd on port 80, by pod and by Service, over its default
 * SPDY-in-WebSocket tunnel and over raw SPDY (PORT_FORWARD_WEBSOCKETS=false), pages and 2 MiB intact; a port
 * nobody listens on gives kubectl's error line and no data, after which kubectl exits as it does against a real
 * kubelet; and the releases that speak only SPDY (1.27–1.29, found next to `kubectl` as in kubectl-skew.test.ts):
 * exec with exit codes and stdin, and port-forward.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, runCommand, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

/** The releases whose exec and port-forward speak SPDY only (WebSocket exec became kubectl's default in 1.30). */
const SPDY_ONLY_VERSIONS = ['1.27', '1.28', '1.29'];

const GET = 'GET /index.html HTTP/1.0\r\nHost: pod\r\n\r\n';

/** fetchThrough sends one HTTP/1.0 request to a local port and reads until the far side closes. */
async function fetchThrough(port: number, payload = GET): Promise<string> {
  return (await fetchBytes(port, payload)).toString();
}

/** fetchBytes is fetchThrough keeping the raw bytes. */
function fetchBytes(port: number, payload: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no close from 127.0.0.1:${port} within 20 s; got ${Buffer.concat(chunks).length} bytes`));
    }, 20_000);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    s.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    s.write(payload);
  });
}

/** PortForward is one running `kubectl port-forward`, with everything it printed so far. */
interface PortForward {
  readonly child: ChildProcess;
  readonly local: number;
  output(): string;
}

void describe('kubectl port-forward and exec through the API server to a runc pod', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-kpf-${process.pid}`;
  const children: ChildProcess[] = [];
  let bigSha256 = '';

  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node] });
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    await c.kubectlOk(['run', 'web', '--image=busybox', '--labels=app=web', '--', 'sh', '-c', 'mkdir -p /www && echo hello-from-httpd > /www/index.html && exec httpd -f -p 80 -h /www']);
    await c.kubectlOk(['create', 'service', 'clusterip', 'web', '--tcp=8080:80']);
    await eventually(async () => (await c.kubectlOk(['get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])) === 'Running', 60_000);
    bigSha256 = (await c.kubectlOk(['exec', 'web', '--', 'sh', '-c', 'head -c 2097152 /dev/urandom > /www/big && sha256sum /www/big'])).split(' ')[0] ?? '';
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  /** startPortForward runs kubectl port-forward and waits for its "Forwarding from" line. */
  const startPortForward = async (target: string, remote: string, env: NodeJS.ProcessEnv = {}, binary = 'kubectl'): Promise<PortForward> => {
    const child = spawn(binary, ['--kubeconfig', c.kubeconfig, 'port-forward', '--address', '127.0.0.1', target, `:${remote}`], {
      env: { ...process.env, KUBECONFIG: c.kubeconfig, HOME: c.dataDir, KUBECACHEDIR: join(c.dataDir, 'kubecache'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    let exited = false;
    child.once('exit', () => (exited = true));
    const local = await eventually(() => {
      if (exited) throw new Error(`kubectl port-forward ${target} exited: ${out}`);
      return /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    }, 20_000);
    return { child, local: Number(local), output: () => out };
  };

  const stop = (pf: PortForward): void => {
    pf.child.kill('SIGKILL');
  };

  for (const [form, env] of [['SPDY-in-WebSocket (default)', {}], ['raw SPDY (PORT_FORWARD_WEBSOCKETS=false)', { PORT_FORWARD_WEBSOCKETS: 'false' }]] as const) {
    void it(`port-forward pod/web :80 over ${form} serves pages and 2 MiB intact, several connections in turn`, async () => {
      const pf = await startPortForward('pod/web', '80', env);
      try {
        for (let i = 0; i < 3; i++) {
          const page = await fetchThrough(pf.local);
          assert.match(page, /^HTTP\/1\.[01] 200 OK/);
          assert.match(page, /hello-from-httpd\n$/);
        }
        // 2 MiB of random bytes: far past SPDY's 64 KiB windows, through both hops of the relay, intact.
        const big = await fetchBytes(pf.local, 'GET /big HTTP/1.0\r\nHost: pod\r\n\r\n');
        const body = big.subarray(big.indexOf('\r\n\r\n') + 4);
        assert.equal(body.length, 2 * 1024 * 1024);
        assert.equal(createHash('sha256').update(body).digest('hex'), bigSha256);
        // Two at once share the one tunnel.
        const pages = await Promise.all([fetchThrough(pf.local), fetchThrough(pf.local)]);
        for (const p of pages) assert.match(p, /hello-from-httpd\n$/);
        assert.equal(pf.child.exitCode, null, `kubectl exited: ${pf.output()}`);
      } finally {
        stop(pf);
      }
    });

    void it(`port-forward to a port nobody listens on over ${form}: kubectl's error line, no data, then kubectl stops as upstream`, async () => {
      const pf = await startPortForward('pod/web', '9', env);
      try {
        const exited = new Promise<number | null>((resolve) => (pf.child.exitCode !== null ? resolve(pf.child.exitCode) : pf.child.once('exit', (code) => resolve(code))));
        assert.equal(await fetchThrough(pf.local), '');
        // Since kubernetes#103526 (1.23) client-go closes the whole connection once an error stream reports a
        // failure, so kubectl 1.32 ends with "lost connection to pod" (kubectl#1169) — against a real kubelet too.
        assert.equal(await exited, 1);
        assert.match(pf.output(), /an error occurred forwarding \d+ -> 9: error forwarding port 9 to pod web, uid [0-9a-f-]+: Cannot forward port 9/);
        assert.match(pf.output(), /error: lost connection to pod\n$/);
      } finally {
        stop(pf);
      }
    });
  }

  void it('port-forward svc/web :8080 resolves the Service to its pod and the target port 80', async () => {
    const pf = await startPortForward('svc/web', '8080');
    try {
      assert.match(pf.output(), /Forwarding from 127\.0\.0\.1:\d+ -> 80/);
      assert.match(await fetchThrough(pf.local), /hello-from-httpd\n$/);
    } finally {
      stop(pf);
    }
  });

  for (const version of SPDY_ONLY_VERSIONS) {
    void it(`kubectl ${version} exec (SPDY only): exec echo, exit code, -i stdin; port-forward`, async (t) => {
      const kubectlDir = dirname(realpathSync((await runCommand('sh', ['-c', 'command -v kubectl'])).stdout.trim()));
      const binary = join(kubectlDir, `kubectl.${version}`);
      if (!existsSync(binary)) {
        t.skip(`${binary} is not installed`);
        return;
      }
      const hi = await c.kubectl(['exec', 'web', '--', 'echo', 'hi'], { binary });
      assert.equal(hi.code, 0, `exec exited ${hi.code}: ${hi.stderr}`);
      assert.equal(hi.stdout, 'hi\n');
      const failed = await c.kubectl(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'], { binary });
      assert.equal(failed.code, 7, `stderr: ${failed.stderr}`);
      assert.equal(failed.stdout, 'out\n');
      assert.match(failed.stderr, /^err\n/);
      const stdin = await c.kubectl(['exec', '-i', 'web', '--', 'sh', '-c', 'tr a-z A-Z; echo done'], { binary, input: 'from stdin\nline two\n' });
      assert.equal(stdin.code, 0, `exec -i exited ${stdin.code}: ${stdin.stderr}`);
      assert.equal(stdin.stdout, 'FROM STDIN\nLINE TWO\ndone\n');
      // Its port-forward is SPDY only too.
      const pf = await startPortForward('pod/web', '80', {}, binary);
      try {
        assert.match(await fetchThrough(pf.local), /hello-from-httpd\n$/);
      } finally {
        stop(pf);
      }
    });
  }
});
