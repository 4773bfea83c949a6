/**
 * Streaming into real runc containers with real kubectl: exec (stdout, stderr, exit codes, stdin), cp both ways,
 * exec -it through a pseudo-terminal, run -it --rm, the 403/400/404 answers, and @kubernetes/client-node's Exec.
 * The path under test: kubectl → API server (PodStreamProxy) → the node's KubeletServer (WebSocket channels) →
 * RuncRuntime.exec/attach.
 */
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { commandExists, containerHostMissing } from '../harness/host-tools.js';
import { waitForNodeReady } from '../harness/pods.js';
import { runInPty } from '../harness/pty.js';
import { deletePodsAndCleanUp } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing() || (commandExists('python3') ? false : 'needs python3 (its pty module drives kubectl -it)');


void describe('kubectl exec, cp, attach and run -it on a runc node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-exec-${process.pid}`;
  const scratch = mkdtempSync(join(tmpdir(), 'tkube-exec-'));
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0'] });
    await waitForNodeReady(c, node);
    await c.kubectlOk(['run', 'box', '--image=busybox', '--', 'sleep', '3600']);
    await c.kubectlOk(['wait', '--for=condition=Ready', 'pod/box', '--timeout=60s']);
  });
  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    if (!c) return;
    await deletePodsAndCleanUp(c);
  });

  void it('runs commands: stdout and stderr apart, exit codes, stdin', async () => {
    assert.equal(await c.kubectlOk(['exec', 'box', '--', 'echo', 'hi']), 'hi\n');
    const both = await c.kubectl(['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(both.code, 0);
    assert.equal(both.stdout, 'out\n');
    assert.equal(both.stderr, 'err\n');
    const failed = await c.kubectl(['exec', 'box', '--', 'sh', '-c', 'exit 3']);
    assert.equal(failed.code, 3, failed.stderr);
    assert.equal(await c.kubectlOk(['exec', '-i', 'box', '--', 'cat'], { input: 'data\nmore\n' }), 'data\nmore\n');
    // Larger than one frame both ways: stdin is half-closed (v5 close channel) after the last byte.
    const big = 'x'.repeat(300_000);
    assert.equal(await c.kubectlOk(['exec', '-i', 'box', '--', 'wc', '-c'], { input: big }), `${big.length}\n`);
  });

  void it('reports a command that cannot start, and kills a command whose client went away', async () => {
    const missing = await c.kubectl(['exec', 'box', '--', 'no-such-program']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no-such-program.*(not found|no such file)/i);
    const client = spawn('kubectl', ['--kubeconfig', c.kubeconfig, 'exec', 'box', '--', 'sleep', '4242'], { stdio: 'ignore' });
    try {
      await eventually(async () => (await c.kubectlOk(['exec', 'box', '--', 'ps'])).includes('sleep 4242'), 20_000);
    } finally {
      client.kill('SIGKILL');
    }
    await eventually(async () => !(await c.kubectlOk(['exec', 'box', '--', 'ps'])).includes('sleep 4242'), 20_000);
  });

  void it('copies files both ways with kubectl cp', async () => {
    const local = join(scratch, 'up.txt');
    writeFileSync(local, 'uploaded content\n');
    await c.kubectlOk(['cp', local, 'box:/tmp/up.txt']);
    assert.equal(await c.kubectlOk(['exec', 'box', '--', 'cat', '/tmp/up.txt']), 'uploaded content\n');
    await c.kubectlOk(['exec', 'box', '--', 'sh', '-c', 'mkdir -p /tmp/d && echo one > /tmp/d/a && echo two > /tmp/d/b']);
    await c.kubectlOk(['cp', 'box:/tmp/d', join(scratch, 'down')]);
    assert.equal(readFileSync(join(scratch, 'down', 'a'), 'utf8'), 'one\n');
    assert.equal(readFileSync(join(scratch, 'down', 'b'), 'utf8'), 'two\n');
  });

  void it('refuses with Status answers: missing pod, missing container, no rights', async () => {
    const missingPod = await c.kubectl(['exec', 'nope', '--', 'true']);
    assert.notEqual(missingPod.code, 0);
    assert.match(missingPod.stderr, /pods "nope" not found/);
    const missingContainer = await c.kubectl(['exec', 'box', '-c', 'nope', '--', 'true']);
    assert.notEqual(missingContainer.code, 0);
    assert.match(missingContainer.stderr, /container nope is not valid for pod box/);
    // A user who may read pods but not create pods/exec is refused before anything reaches the node.
    await c.kubectlOk(['create', 'serviceaccount', 'reader']);
    await c.kubectlOk(['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods,pods/exec']);
    await c.kubectlOk(['create', 'rolebinding', 'reader', '--role=pod-reader', '--serviceaccount=default:reader']);
    const denied = await c.kubectl(['--as=system:serviceaccount:default:reader', 'exec', 'box', '--', 'echo', 'hi']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /cannot create resource "pods\/exec" in API group "" in the namespace "default"/);
  });

  void it('serves @kubernetes/client-node Exec (v5 and v4 framing)', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(c.kubeconfig);
    const exec = new k8s.Exec(kc);
    const collect = (): { stream: Writable; text: () => string } => {
      const chunks: Buffer[] = [];
      return { stream: new Writable({ write: (chunk: Buffer, _e, cb) => (chunks.push(chunk), cb()) }), text: () => Buffer.concat(chunks).toString() };
    };
    const run = (cmd: string[]): Promise<{ out: string; err: string; status: k8s.V1Status }> => {
      const out = collect();
      const err = collect();
      return new Promise((resolve, reject) => {
        exec.exec('default', 'box', 'box', cmd, out.stream, err.stream, null, false, (status) => resolve({ out: out.text(), err: err.text(), status })).catch(reject);
      });
    };
    const ok = await run(['sh', '-c', 'echo client; echo node >&2']);
    assert.equal(ok.out, 'client\n');
    assert.equal(ok.err, 'node\n');
    assert.equal(ok.status.status, 'Success');
    const bad = await run(['sh', '-c', 'exit 7']);
    assert.equal(bad.status.reason, 'NonZeroExitCode');
    assert.equal(bad.status.details?.causes?.[0]?.message, '7');
    // v4 only (no close channel), straight over `ws`: output and the Status come back the same way.
    const creds = c.credentials();
    const v4 = await new Promise<{ protocol: string; frames: string[] }>((resolve, reject) => {
      const url = new URL('/api/v1/namespaces/default/pods/box/exec?command=echo&command=four&stdout=true', c.url);
      url.protocol = 'wss:';
      const socket = new WebSocket(url, ['v4.channel.k8s.io'], { ca: creds.ca, cert: creds.cert, key: creds.key });
      const frames: string[] = [];
      socket.on('message', (m: Buffer) => frames.push(`${m[0] ?? -1}:${m.subarray(1).toString()}`));
      socket.on('close', () => resolve({ protocol: socket.protocol, frames }));
      socket.on('error', reject);
    });
    assert.equal(v4.protocol, 'v4.channel.k8s.io');
    assert.deepEqual(v4.frames, ['1:four\n', '3:{"metadata":{},"status":"Success"}']);
  });

  /**
   * inTerminal runs kubectl on a pseudo-terminal of 100x30 (python3's pty module): once `waitFor` appears in the
   * output it types `input`; resolves with everything the terminal showed and kubectl's exit code.
   */
  const inTerminal = (args: string[], waitFor: string, input: string): Promise<{ code: number; output: string }> =>
    runInPty(waitFor, input, ['kubectl', '--kubeconfig', c.kubeconfig, ...args]).then((r) => ({ code: r.code, output: r.stdout }));

  void it("exec -it gives a terminal of the client's size and the exit code", async () => {
    const r = await inTerminal(['exec', '-it', 'box', '--', 'sh'], '# ', 'stty size; tty; echo "sum=$((40+2))"; exit 5\r');
    assert.equal(r.code, 5, r.output);
    assert.match(r.output, /30 100/);
    assert.match(r.output, /\/dev\/pts\/\d+/);
    assert.match(r.output, /sum=42/);
  });

  void it('run -it --rm attaches to a terminal container (and falls back to logs when it ended first)', async () => {
    const hello = await inTerminal(['run', '-it', '--rm', '--restart=Never', '--image=busybox', 'hello', '--', 'echo', 'hello'], '', '');
    assert.equal(hello.code, 0, hello.output);
    assert.match(hello.output, /hello/);
    const typed = await inTerminal(['run', '-it', '--rm', '--restart=Never', '--image=busybox', 'reader', '--', 'sh', '-c', 'read line; echo "got $line"'], 'command prompt', 'typed words\r');
    assert.equal(typed.code, 0, typed.output);
    assert.match(typed.output, /got typed words/);
    assert.doesNotMatch(typed.output, /couldn't attach/);
    await eventually(async () => !(await c.kubectlOk(['get', 'pods', '-o', 'name'])).includes('pod/reader'), 30_000);
  });

  void it('attaches stdin and output of a container without a terminal (run -i with stdinOnce, kubectl attach -i)', async () => {
    const out = await c.kubectl(['run', '-i', '--rm', '--restart=Never', '--image=busybox', 'catter', '--', 'sh', '-c', 'cat; echo end-of-input'], { input: 'piped line\n' });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /piped line\nend-of-input\n/);
    assert.doesNotMatch(out.stderr, /couldn't attach/);
    // kubectl attach to a running container whose stdin outlives attach sessions (no stdinOnce).
    await c.kubectlOk(['run', 'echoer', '--image=busybox', '--stdin', '--leave-stdin-open', '--attach=false', '--restart=Never', '--', 'sh', '-c', 'while read l; do echo "x:$l"; [ "$l" = stop ] && exit 0; done']);
    await c.kubectlOk(['wait', '--for=condition=Ready', 'pod/echoer', '--timeout=60s']);
    // The session ends when the container does (its stdin stays open after ours ends, as upstream's does).
    const attached = await c.kubectl(['attach', '-i', 'echoer'], { input: 'a\nstop\n' });
    assert.equal(attached.code, 0, attached.stderr);
    assert.equal(attached.stdout, 'x:a\nx:stop\n');
  });
});

