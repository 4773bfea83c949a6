/**
 * The CRI backend against a private containerd (Debian's 1.6) started in a temp dir: images imported from our
 * store, a pod sandbox with an address on the test's own bridge, a busybox container with CRI-format logs at
 * the log path, execSync (exit codes, timeout), stop with grace, remove, and NOT_FOUND translation. containerd,
 * its shims, mounts, netns and bridge are all gone afterwards.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Duplex, PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ContainerConfig, PodSandboxConfig } from '../../cri/runtime-service.js';
import { RuntimeNotFoundError } from '../../cri/runtime-service.js';
import { ensureBuiltinImages } from '../../images/builtin-images.js';
import { exportOciArchive } from '../../images/oci-archive-export.js';
import { OciImageStore } from '../../images/oci-image-store.js';
import { until } from '../../testing/until.js';
import { containerdHostMissing } from '../../../../test/harness/host-tools.js';
import { startContainerd, writeContainerdConfig, type RunningContainerd } from './containerd-daemon.js';
import { CriClient } from './cri-client.js';
import { CriImageService } from './cri-image-service.js';
import { CriRuntimeService } from './cri-runtime-service.js';

const skip = containerdHostMissing();

void describe('CriRuntimeService over containerd', { skip }, () => {
  // Short: the containerd socket path must stay under the unix socket limit.
  const dir = mkdtempSync('/tmp/tkcd-');
  let daemon: RunningContainerd | undefined;
  let client: CriClient;
  let images: CriImageService;
  let runtime: CriRuntimeService;
  let store: OciImageStore;
  const sandbox: PodSandboxConfig = {
    metadata: { name: 'web', namespace: 'default', uid: `uid-${process.pid}`, attempt: 0 },
    hostname: 'web',
    logDirectory: join(dir, 'logs'),
    portMappings: [],
    labels: { app: 'web' },
    annotations: { note: 'kept' },
    // Our own parent, removed afterwards (containerd would otherwise use /k8s.io).
    linux: { cgroupParent: `/tkcd-test-${process.pid}` },
  };
  const container = (name: string, command: string[], attempt = 0): ContainerConfig => ({
    metadata: { name, attempt },
    image: 'busybox',
    command,
    args: [],
    envs: [{ key: 'GREETING', value: 'hello' }],
    mounts: [],
    labels: { container: name },
    annotations: { why: 'test' },
    logPath: `${name}/${attempt}.log`,
  });

  before(async () => {
    store = new OciImageStore({ root: join(dir, 'images') });
    await ensureBuiltinImages(store);
    await writeContainerdConfig(join(dir, 'cd'), { podSubnet: `10.88.${randomInt(1, 255)}.0/24` });
    daemon = await startContainerd(join(dir, 'cd'));
    client = await CriClient.connect({ endpoint: daemon.paths.endpoint });
    images = new CriImageService({ client, endpoint: daemon.paths.endpoint, local: { imageStatus: (ref) => store.imageStatus(ref), archive: (ref) => exportOciArchive(join(dir, 'images'), ref) } });
    runtime = new CriRuntimeService({ client, images });
  });

  after(async () => {
    await runtime?.close();
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
    execFileSync('sh', ['-c', `for d in /sys/fs/cgroup/*/tkcd-test-${process.pid}; do rmdir "$d" 2>/dev/null; done; true`]);
  });

  void it('imports images from the node store and reports them by ID', async () => {
    const local = await store.imageStatus('busybox');
    assert.ok(local);
    assert.equal(await images.imageStatus('busybox'), undefined);
    assert.equal(await images.pullImage('busybox'), local.id);
    const there = await images.imageStatus('docker.io/library/busybox:1.36');
    assert.equal(there?.id, local.id);
    assert.ok((await images.listImages()).some((i) => i.repoTags.includes('docker.io/library/busybox:latest')));
    // Present: no second import.
    assert.equal(await images.pullImage('busybox'), local.id);
    await assert.rejects(images.pullImage('example.invalid/nothing:1'), /Cannot pull image "example.invalid\/nothing:1"/);
    assert.equal(await images.pullImage('registry.k8s.io/pause:3.10'), (await store.imageStatus('registry.k8s.io/pause:3.10'))?.id);
    const fs = await images.imageFsInfo();
    assert.ok(fs.mountpoint.startsWith(dir));
    assert.ok(fs.capacityBytes > 0);
  });

  void it('runs a sandbox and a container with CRI logs, execSync, stop and remove', async () => {
    const v = await runtime.version();
    assert.equal(v.runtimeName, 'containerd');
    const t0 = Date.now();
    const sid = await runtime.runPodSandbox(sandbox);
    const s = await runtime.podSandboxStatus(sid);
    assert.equal(s.state, 'SANDBOX_READY');
    assert.equal(s.metadata.name, 'web');
    assert.deepEqual(s.labels, { app: 'web' });
    assert.deepEqual(s.annotations, { note: 'kept' });
    assert.ok(s.createdAt >= t0 - 1000 && s.createdAt <= Date.now() + 1000, `createdAt ${s.createdAt} is milliseconds`);
    assert.match(s.ips[0] ?? '', /^10\.88\.\d+\.\d+$/);
    assert.match(s.netnsPath ?? '', /netns/);
    assert.deepEqual((await runtime.listPodSandbox({ labelSelector: { app: 'web' } })).map((x) => x.id), [sid]);
    assert.deepEqual(await runtime.listPodSandbox({ labelSelector: { app: 'other' } }), []);

    const cid = await runtime.createContainer(sid, container('main', ['sh', '-c', 'trap "exit 42" TERM; echo "$GREETING out"; echo err >&2; while true; do sleep 0.2; done']), sandbox);
    assert.equal((await runtime.containerStatus(cid)).state, 'CONTAINER_CREATED');
    await assert.rejects(runtime.createContainer(sid, container('main', ['true']), sandbox), /Cannot create container main/);
    await runtime.startContainer(cid);
    const st = await runtime.containerStatus(cid);
    assert.equal(st.state, 'CONTAINER_RUNNING');
    assert.equal(st.sandboxId, sid);
    assert.equal(st.image, 'busybox');
    assert.equal(st.imageRef, (await store.imageStatus('busybox'))?.id);
    assert.deepEqual(st.annotations, { why: 'test' });
    assert.equal(st.logPath, join(dir, 'logs', 'main', '0.log'));
    assert.ok(st.startedAt >= st.createdAt && st.startedAt > 0);
    const log = await until('both lines logged', async () => {
      const text = existsSync(st.logPath) ? readFileSync(st.logPath, 'utf8') : '';
      return text.split('\n').length >= 3 ? text : undefined;
    });
    assert.match(log, /^\d{4}-\d\d-\d\dT[\d:.]+Z stdout F hello out$/m);
    assert.match(log, /^\d{4}-\d\d-\d\dT[\d:.]+Z stderr F err$/m);

    const ok = await runtime.execSync(cid, ['sh', '-c', 'echo $GREETING; echo e >&2'], 10);
    assert.deepEqual([ok.stdout.toString(), ok.stderr.toString(), ok.exitCode, ok.timedOut], ['hello\n', 'e\n', 0, false]);
    assert.equal((await runtime.execSync(cid, ['sh', '-c', 'exit 3'], 0)).exitCode, 3);
    const slow = await runtime.execSync(cid, ['sleep', '30'], 1);
    assert.equal(slow.timedOut, true);

    const stats = await runtime.containerStats(cid);
    assert.ok(stats && stats.memoryUsageBytes > 0);

    assert.deepEqual((await runtime.listContainers({ sandboxId: sid })).map((c) => c.id), [cid]);
    assert.deepEqual((await runtime.listContainers({ labelSelector: { container: 'main' }, state: 'CONTAINER_RUNNING' })).map((c) => c.id), [cid]);
    // The shell is PID 1, which the kernel shields from SIGTERM unless it traps it: this one does.
    await runtime.stopContainer(cid, 10);
    const stopped = await runtime.containerStatus(cid);
    assert.equal(stopped.state, 'CONTAINER_EXITED');
    assert.equal(stopped.exitCode, 42);
    assert.ok(stopped.finishedAt >= stopped.startedAt);
    await runtime.stopContainer(cid, 10);

    const quick = await runtime.createContainer(sid, container('quick', ['sh', '-c', 'exit 7']), sandbox);
    await runtime.startContainer(quick);
    const done = await until('quick exits', async () => {
      const q = await runtime.containerStatus(quick);
      return q.state === 'CONTAINER_EXITED' ? q : undefined;
    });
    assert.equal(done.exitCode, 7);
    assert.equal(done.reason, 'Error');

    await runtime.removeContainer(cid);
    await assert.rejects(runtime.containerStatus(cid), RuntimeNotFoundError);
    await assert.rejects(runtime.startContainer(cid), RuntimeNotFoundError);
    await runtime.removeContainer(cid);

    await runtime.stopPodSandbox(sid);
    assert.equal((await runtime.podSandboxStatus(sid)).state, 'SANDBOX_NOTREADY');
    await runtime.stopPodSandbox(sid);
    await runtime.removePodSandbox(sid);
    await assert.rejects(runtime.podSandboxStatus(sid), RuntimeNotFoundError);
    await runtime.removePodSandbox(sid);
    await runtime.stopPodSandbox('0123456789abcdef');
    assert.deepEqual(await runtime.listContainers(), []);
  });

  void it('streams exec and port-forward through containerd\'s streaming server', async () => {
    const sid = await runtime.runPodSandbox({ ...sandbox, metadata: { ...sandbox.metadata, name: 'stream', uid: `uid-stream-${process.pid}` } });
    const cid = await runtime.createContainer(sid, container('web', ['sh', '-c', 'mkdir -p /www && echo hello-from-pod > /www/index.html && exec httpd -f -p 8080 -h /www']), sandbox);
    await runtime.startContainer(cid);
    const out = new PassThrough();
    const err = new PassThrough();
    const chunks: Buffer[] = [];
    const errChunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    err.on('data', (c: Buffer) => errChunks.push(c));
    const code = await runtime.exec(cid, ['sh', '-c', 'echo to-out; echo to-err >&2; exit 5'], { stdout: out, stderr: err });
    assert.equal(code, 5);
    assert.equal(Buffer.concat(chunks).toString(), 'to-out\n');
    assert.equal(Buffer.concat(errChunks).toString(), 'to-err\n');
    // stdin reaches the command (head stops after 6 bytes: v4 cannot send EOF).
    const echoed: Buffer[] = [];
    const sink = new PassThrough().on('data', (c: Buffer) => echoed.push(c));
    const stdin = new PassThrough();
    const session = runtime.exec(cid, ['head', '-c', '6'], { stdin, stdout: sink });
    stdin.write('abcdef');
    assert.equal(await session, 0);
    assert.equal(Buffer.concat(echoed).toString(), 'abcdef');

    const served = await until('httpd answers through port-forward', async () => {
      const toPod = new PassThrough();
      const fromPod = new PassThrough();
      const got: Buffer[] = [];
      fromPod.on('data', (c: Buffer) => got.push(c));
      const stream = Duplex.from({ readable: toPod, writable: fromPod });
      toPod.write('GET / HTTP/1.0\r\n\r\n');
      try {
        await runtime.portForward(sid, 8080, stream);
      } catch {
        return undefined;
      }
      const text = Buffer.concat(got).toString();
      return text.includes('hello-from-pod') ? text : undefined;
    });
    assert.match(served, /^HTTP\/1\.[01] 200/);
    const closed = Duplex.from({ readable: new PassThrough(), writable: new PassThrough() });
    await assert.rejects(runtime.portForward(sid, 9, closed), /Cannot forward port 9/);
    await assert.rejects(runtime.portForward('nope', 80, closed), RuntimeNotFoundError);

    // attach follows the main process's output until it exits.
    const late = await runtime.createContainer(sid, container('late', ['sh', '-c', 'sleep 1; echo late-line']), sandbox);
    await runtime.startContainer(late);
    const attached: Buffer[] = [];
    await runtime.attach(late, { stdout: new PassThrough().on('data', (c: Buffer) => attached.push(c)) });
    assert.equal(Buffer.concat(attached).toString(), 'late-line\n');
    await assert.rejects(runtime.exec('nope', ['true'], {}), RuntimeNotFoundError);
    await runtime.removePodSandbox(sid);
  });

  void it('reopens a container log renamed away (ReopenContainerLog, as the kubelet rotates)', async () => {
    const config = { ...sandbox, metadata: { ...sandbox.metadata, name: 'rotate', uid: `uid-rotate-${process.pid}` }, logDirectory: join(dir, 'rotate-logs') };
    const sid = await runtime.runPodSandbox(config);
    const cid = await runtime.createContainer(sid, container('ticker', ['sh', '-c', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.1; done']), config);
    await runtime.startContainer(cid);
    const path = (await runtime.containerStatus(cid)).logPath;
    await until('ticks logged', async () => (existsSync(path) && readFileSync(path, 'utf8').includes('tick-2') ? true : undefined));
    renameSync(path, `${path}.20260101-000000`);
    await runtime.reopenContainerLog(cid);
    const fresh = await until('ticks in the reopened file', async () => (existsSync(path) && /stdout F tick-\d+\n/.test(readFileSync(path, 'utf8')) ? readFileSync(path, 'utf8') : undefined));
    assert.doesNotMatch(fresh, /tick-0\n/);
    await assert.rejects(runtime.reopenContainerLog('0123456789abcdef'), RuntimeNotFoundError);
    await runtime.removePodSandbox(sid);
  });
});
