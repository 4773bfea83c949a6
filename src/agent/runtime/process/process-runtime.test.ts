/**
 * What ProcessRuntime does beyond the conformance suite: where a container's working directory is, the image's
 * PATH inside its layers as a fallback for program lookup, runAsUser when the agent is root, and a container whose
 * supervisor was killed (it stays running while its process lives, and ends with a record saying why), and a
 * log path renamed away by rotation (the supervisor reopens it).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerConfig, ContainerStatus, PodSandboxConfig } from '../../cri/runtime-service.js';
import { BUSYBOX_PATH, ensureBuiltinImages } from '../../images/builtin-images.js';
import { OciImageStore } from '../../images/oci-image-store.js';
import { ProcessRuntime } from './process-runtime.js';
import { until } from '../../testing/until.js';

function stdoutLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => / stdout F /.test(l)).map((l) => l.replace(/^\S+ stdout F /, ''));
}

void describe('ProcessRuntime', { skip: existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-process-rt-'));
  let runtime: ProcessRuntime;
  let seq = 0;
  const sandbox = (): PodSandboxConfig => {
    const name = `p${seq++}`;
    return { metadata: { name, namespace: 'default', uid: `uid-${name}`, attempt: 0 }, hostname: name, logDirectory: join(dir, 'logs', name), portMappings: [], labels: {}, annotations: {} };
  };
  const container = (script: string, extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
    metadata: { name: 'c', attempt: 0 },
    image: 'busybox',
    command: ['sh', '-c'],
    args: [script],
    envs: [],
    mounts: [],
    labels: {},
    annotations: {},
    logPath: 'c/0.log',
    ...extra,
  });
  const runToEnd = async (config: ContainerConfig): Promise<ContainerStatus> => {
    const sc = sandbox();
    const sb = await runtime.runPodSandbox(sc);
    const id = await runtime.createContainer(sb, config, sc);
    await runtime.startContainer(id);
    return until('exited', async () => {
      const s = await runtime.containerStatus(id);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    });
  };

  before(async () => {
    const images = new OciImageStore({ root: join(dir, 'images') });
    await ensureBuiltinImages(images);
    runtime = new ProcessRuntime({ root: join(dir, 'process'), images });
  });
  after(async () => {
    for (const s of await runtime.listPodSandbox()) await runtime.removePodSandbox(s.id).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  void it('runs in a private directory when the working dir is "/" or absent from the host, and in the host dir otherwise', async () => {
    const root = await runToEnd(container('pwd; echo "$HOME"; echo x > file && echo wrote'));
    const [rootCwd, home, wrote] = stdoutLines(root.logPath);
    assert.equal(rootCwd, join(dir, 'process', 'containers', root.id, 'root'));
    assert.equal(home, rootCwd);
    assert.equal(wrote, 'wrote');
    const missing = await runToEnd(container('pwd', { workingDir: '/no/such/dir/on/the/host' }));
    assert.deepEqual(stdoutLines(missing.logPath), [join(dir, 'process', 'containers', missing.id, 'root', 'no/such/dir/on/the/host')]);
    const host = await runToEnd(container('pwd', { workingDir: dir }));
    assert.deepEqual(stdoutLines(host.logPath), [dir]);
  });

  void it('finds programs in the image\'s layers when the PATH the pod sets has none', async () => {
    // `sh` itself can only come from the image: the pod's PATH names nothing else.
    const s = await runToEnd(container('echo "$PATH"', { envs: [{ key: 'PATH', value: '/nonexistent' }] }));
    const [first, ...fromImage] = (stdoutLines(s.logPath)[0] ?? '').split(':');
    assert.equal(first, '/nonexistent');
    assert.ok(fromImage.length > 0 && fromImage.every((p) => p.startsWith(join(dir, 'images'))), fromImage.join(':'));
    assert.ok(fromImage.some((p) => p.endsWith('/bin')));
    assert.equal(s.exitCode, 0);
  });

  void it('runs as runAsUser when the agent is root', { skip: process.getuid?.() === 0 ? false : 'needs root' }, async () => {
    const s = await runToEnd(container('id -u; id -g; echo x > mine && echo wrote', { linux: { securityContext: { runAsUser: 65534, runAsGroup: 65534 } } }));
    assert.deepEqual(stdoutLines(s.logPath), ['65534', '65534', 'wrote']);
  });

  void it('keeps a container whose supervisor died running while its process lives, then ends it with a record', async () => {
    const sc = sandbox();
    const sb = await runtime.runPodSandbox(sc);
    const id = await runtime.createContainer(sb, container('exec sleep 3600'), sc);
    await runtime.startContainer(id);
    const rec = JSON.parse(readFileSync(join(dir, 'process', 'containers', id, 'container.json'), 'utf8')) as { supervisor: { pid: number } };
    process.kill(rec.supervisor.pid, 'SIGKILL');
    await until('supervisor gone', async () => (existsSync(`/proc/${rec.supervisor.pid}/stat`) && !/\) Z /.test(readFileSync(`/proc/${rec.supervisor.pid}/stat`, 'utf8')) ? undefined : true));
    assert.equal((await runtime.containerStatus(id)).state, 'CONTAINER_RUNNING');
    await runtime.stopContainer(id, 1);
    const s = await runtime.containerStatus(id);
    assert.equal(s.state, 'CONTAINER_EXITED');
    assert.equal(s.exitCode, 255);
    assert.match(s.message, /supervisor ended without recording an exit code/);
    const pid = (JSON.parse(readFileSync(join(dir, 'process', 'containers', id, 'pid'), 'utf8')) as { pid: number }).pid;
    assert.equal(existsSync(`/proc/${pid}`), false);
  });

  void it('goes on writing to a fresh log file when the kubelet renamed the log away (rotation)', async () => {
    const sc = sandbox();
    const sb = await runtime.runPodSandbox(sc);
    const id = await runtime.createContainer(sb, container('i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.05; done'), sc);
    await runtime.startContainer(id);
    const path = (await runtime.containerStatus(id)).logPath;
    await until('ticks logged', async () => (existsSync(path) && stdoutLines(path).length >= 3 ? true : undefined));
    renameSync(path, `${path}.20260101-000000`);
    // No call: the supervisor notices the path's inode change within a second and reopens it.
    const fresh = await until('ticks in a new log file', async () => (existsSync(path) && stdoutLines(path).length >= 2 ? stdoutLines(path) : undefined), 10_000);
    const old = stdoutLines(`${path}.20260101-000000`);
    // Nothing lost or doubled across the files.
    assert.equal(fresh[0], `tick-${old.length}`);
    await runtime.removePodSandbox(sb);
  });
});
