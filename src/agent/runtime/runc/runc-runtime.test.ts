/**
 * RuncRuntime on this machine (root, runc, busybox-static): sandboxes as network namespaces, busybox containers
 * with CRI logs and exit codes, exec, stop with grace, adoption by a second instance, port-forward into the
 * sandbox, terminals (a TTY container attached to with stdin and resize, a TTY exec), and complete cleanup (no netns, mount or runc container left).
 * As a node runs it: the state directory on a tmpfs of its own (state-tmpfs.ts), the writable layers on disk.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerConfig, PodSandboxConfig, RuntimeService } from '../../cri/runtime-service.js';
import { ensureBuiltinImages } from '../../images/builtin-images.js';
import { OciImageStore } from '../../images/oci-image-store.js';
import { containerHostMissing } from '../../../../test/harness/host-tools.js';
import { RuncRuntime } from './runc-runtime.js';
import { mountStateTmpfs, type StateTmpfs } from './state-tmpfs.js';
import { until } from '../../testing/until.js';

const skip = containerHostMissing();

void describe('RuncRuntime', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-runc-'));
  const prefix = `tkt${randomBytes(3).toString('hex')}-`;
  let runtime: RuntimeService;
  let images: OciImageStore;
  let stateTmpfs: StateTmpfs;
  const roots = { root: join(dir, 'runc'), diskRoot: join(dir, 'disk') };
  const sandbox = (name: string): PodSandboxConfig => ({
    metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 },
    hostname: name,
    logDirectory: join(dir, 'logs', name),
    portMappings: [],
    labels: { 'io.kubernetes.pod.name': name },
    annotations: {},
    dnsConfig: { servers: ['10.43.0.10'], searches: ['default.svc.cluster.local'], options: ['ndots:5'] },
    linux: { cgroupParent: `/${prefix}cg` },
  });
  const container = (name: string, args: string[], env: Record<string, string> = {}): ContainerConfig => ({
    metadata: { name, attempt: 0 },
    image: 'busybox',
    command: ['sh', '-c'],
    args,
    envs: Object.entries(env).map(([key, value]) => ({ key, value })),
    mounts: [],
    labels: { 'io.kubernetes.container.name': name },
    annotations: {},
    logPath: `${name}/0.log`,
  });

  before(async () => {
    images = new OciImageStore({ root: join(dir, 'images') });
    await ensureBuiltinImages(images);
    stateTmpfs = mountStateTmpfs(roots.root);
    runtime = new RuncRuntime({ ...roots, images, netnsPrefix: prefix });
  });
  after(async () => {
    for (const s of await runtime.listPodSandbox()) await runtime.removePodSandbox(s.id).catch(() => undefined);
    for (const ns of execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')) {
      const name = ns.split(' ')[0] ?? '';
      if (name.startsWith(prefix)) execFileSync('ip', ['netns', 'delete', name]);
    }
    // runc removes each container's cgroup, not the parent the test named.
    execFileSync('sh', ['-c', `for c in /sys/fs/cgroup/*/${prefix}cg; do [ -d "$c" ] && rmdir "$c"; done; true`]);
    execFileSync('sh', ['-c', `grep -o '${dir}/[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l; true`]);
    rmSync(dir, { recursive: true, force: true });
  });

  void it('runs a container to its exit code with CRI-format logs and the pod\'s DNS files', async () => {
    const sb = await runtime.runPodSandbox(sandbox('one'));
    assert.ok(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`${prefix}${sb.slice(0, 12)}`));
    const id = await runtime.createContainer(sb, container('main', ['echo hello $GREETING; cat /etc/resolv.conf; echo oops >&2; exit 3'], { GREETING: 'world' }), sandbox('one'));
    await runtime.startContainer(id);
    const done = await until('exited', async () => {
      const s = await runtime.containerStatus(id);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    });
    assert.equal(done.exitCode, 3);
    assert.equal(done.reason, 'Error');
    assert.ok(done.finishedAt >= done.startedAt);
    const log = readFileSync(done.logPath, 'utf8');
    assert.match(log, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hello world$/m);
    assert.match(log, /stdout F nameserver 10\.43\.0\.10$/m);
    assert.match(log, /stdout F search default\.svc\.cluster\.local$/m);
    assert.match(log, /stderr F oops$/m);
    await assert.rejects(runtime.createContainer(sb, container('main', ['true']), sandbox('one')), /attempt 0 exists already/);
    await runtime.removePodSandbox(sb);
    assert.equal(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`${prefix}${sb.slice(0, 12)}`), false);
    assert.deepEqual(await runtime.listContainers({ sandboxId: sb }), []);
    await assert.rejects(runtime.containerStatus(id), /Cannot find container/);
  });

  void it('execs, survives a new runtime instance (adoption), forwards a port, and stops with grace', async () => {
    const sb = await runtime.runPodSandbox(sandbox('two'));
    const id = await runtime.createContainer(sb, container('web', ['echo hello-pf > /tmp/index.html; exec httpd -f -p 8080 -h /tmp']), sandbox('two'));
    await runtime.startContainer(id);
    const running = await runtime.containerStatus(id);
    assert.equal(running.state, 'CONTAINER_RUNNING');
    const r = await runtime.execSync(id, ['sh', '-c', 'echo out; echo err >&2; hostname; exit 4'], 10);
    assert.equal(r.stdout.toString(), 'out\ntwo\n');
    assert.equal(r.stderr.toString(), 'err\n');
    assert.equal(r.exitCode, 4);
    const slow = await runtime.execSync(id, ['sleep', '5'], 1);
    assert.equal(slow.timedOut, true);

    const again = new RuncRuntime({ ...roots, images, netnsPrefix: prefix });
    const adopted = await again.containerStatus(id);
    assert.equal(adopted.state, 'CONTAINER_RUNNING');
    assert.equal(adopted.startedAt, running.startedAt);

    let server: Server | undefined;
    try {
      server = createServer((socket) => void again.portForward(sb, 8080, socket).catch(() => socket.destroy()));
      await new Promise<void>((res) => server?.listen(0, '127.0.0.1', () => res()));
      const port = (server.address() as { port: number }).port;
      const body = await until('page served through the sandbox', () =>
        new Promise<string | undefined>((res) => {
          get({ host: '127.0.0.1', port, path: '/index.html' }, (resp) => {
            let text = '';
            resp.on('data', (d: Buffer) => (text += d.toString()));
            resp.on('end', () => res(text.includes('hello-pf') ? text : undefined));
          }).on('error', () => res(undefined));
        }),
      );
      assert.match(body, /hello-pf/);
    } finally {
      server?.close();
    }
    const { PassThrough } = await import('node:stream');
    await assert.rejects(again.portForward(sb, 9, new PassThrough()), /Cannot forward port 9/);

    const t0 = Date.now();
    await again.stopContainer(id, 1);
    const stopped = await again.containerStatus(id);
    assert.equal(stopped.state, 'CONTAINER_EXITED');
    assert.ok(Date.now() - t0 < 15_000);
    await again.removePodSandbox(sb);
    assert.equal(execFileSync('sh', ['-c', `grep -c ${join(dir, 'runc')}/ /proc/mounts || true`], { encoding: 'utf8' }).trim(), '0', 'no overlay mount left');
  });

  void it('serves terminals: attach to a TTY container with stdin and resize, and a TTY exec', async () => {
    const { PassThrough, Writable } = await import('node:stream');
    const collect = (): { stream: InstanceType<typeof Writable>; text: () => string } => {
      let text = '';
      return { stream: new Writable({ write: (chunk: Buffer, _e, cb) => ((text += chunk.toString()), cb()) }), text: () => text };
    };
    const sizes = async function* (width: number, height: number): AsyncGenerator<{ width: number; height: number }> {
      yield { width, height };
    };
    const sb = await runtime.runPodSandbox(sandbox('three'));
    const term = await runtime.createContainer(sb, { ...container('term', ['read line; stty size; echo "got $line"; exit 6']), stdin: true, stdinOnce: true, tty: true }, sandbox('three'));
    await runtime.startContainer(term);
    await until('running', async () => ((await runtime.containerStatus(term)).state === 'CONTAINER_RUNNING' ? true : undefined));
    const stdin = new PassThrough();
    const out = collect();
    const attached = runtime.attach(term, { stdin, stdout: out.stream, tty: true, resize: sizes(70, 20) });
    setTimeout(() => stdin.write('typed\r'), 300);
    await attached;
    assert.match(out.text(), /20 70/);
    assert.match(out.text(), /got typed/);
    const done = await until('exited', async () => {
      const st = await runtime.containerStatus(term);
      return st.state === 'CONTAINER_EXITED' ? st : undefined;
    });
    assert.equal(done.exitCode, 6);
    assert.match(readFileSync(done.logPath, 'utf8'), /stdout F got typed\r$/m);

    const plain = await runtime.createContainer(sb, container('plain', ['sleep 60']), sandbox('three'));
    await runtime.startContainer(plain);
    const shown = collect();
    const code = await runtime.exec(plain, ['sh', '-c', 'sleep 0.3; stty size; tty; exit 2'], { stdout: shown.stream, tty: true, resize: sizes(50, 10) });
    assert.equal(code, 2);
    assert.match(shown.text(), /10 50/);
    assert.match(shown.text(), /\/dev\/pts\/\d+/);
    await runtime.removePodSandbox(sb);
  });

  void it('keeps the state on its tmpfs and the writable layer on disk, mount points out of it, and removes layers no record names', async () => {
    const TMPFS_MAGIC = 0x01021994;
    assert.deepEqual(stateTmpfs, { mounted: true, already: false });
    assert.deepEqual(mountStateTmpfs(roots.root), { mounted: true, already: true });
    const sb = await runtime.runPodSandbox(sandbox('four'));
    const id = await runtime.createContainer(sb, container('layer', ['echo data > /written; sleep 60']), sandbox('four'));
    await runtime.startContainer(id);
    const layer = join(roots.diskRoot, 'snapshots', id);
    await until('the container wrote to its writable layer', () => (existsSync(join(layer, 'upper', 'written')) ? true : undefined));
    // The pod's /etc files and their mount points came from the shared mount-point layer: runc wrote none of them
    // into the writable layer (mount-point-layer.ts).
    assert.deepEqual(readdirSync(join(layer, 'upper')), ['written']);
    const mountPoints = readdirSync(join(roots.diskRoot, 'mountpoints'));
    assert.equal(mountPoints.length, 1);
    assert.ok(existsSync(join(roots.diskRoot, 'mountpoints', mountPoints[0] ?? '', 'etc', 'hosts')));
    assert.equal(statfsSync(join(roots.root, 'containers', id, 'container.json')).type, TMPFS_MAGIC);
    assert.equal(statfsSync(join(roots.root, 'sandboxes', sb, 'hosts')).type, TMPFS_MAGIC);
    assert.notEqual(statfsSync(layer).type, TMPFS_MAGIC);
    const stats = await runtime.containerStats(id);
    if (stats) assert.ok((stats.writableLayerUsedBytes ?? 0) > 0, 'the writable layer is measured where it is');

    // A layer whose record went (the tmpfs with a reboot) goes at the next construction; a live one stays.
    const orphan = join(roots.diskRoot, 'snapshots', 'f'.repeat(32));
    mkdirSync(join(orphan, 'upper'), { recursive: true });
    const unusedMountPoints = join(roots.diskRoot, 'mountpoints', 'e'.repeat(32));
    mkdirSync(join(unusedMountPoints, 'etc'), { recursive: true });
    const again = new RuncRuntime({ ...roots, images, netnsPrefix: prefix });
    await until('the orphan layer removed', () => (existsSync(orphan) ? undefined : true));
    await until('the unused mount-point layer removed', () => (existsSync(unusedMountPoints) ? undefined : true));
    assert.ok(existsSync(join(roots.diskRoot, 'mountpoints', mountPoints[0] ?? '')), 'the mount-point layer in use stays');
    assert.ok(existsSync(join(layer, 'upper', 'written')));
    assert.equal((await again.containerStatus(id)).state, 'CONTAINER_RUNNING');

    await runtime.removePodSandbox(sb);
    await until('the removed container\'s layer deleted', () => (existsSync(layer) ? undefined : true));
  });
});
