/**
 * The runtime conformance suite: the contracts of runtime-service.ts, checked against a real backend. Every
 * RuntimeService backend runs it from its own test file:
 *
 *   runtimeConformance('process', async () => ({ runtime, images, cleanup, reopen }), {
 *     skips: { 'container-stats': 'why this backend cannot' },
 *   });
 *
 * - `makeRuntime` is called once (in `before`); the backend must have the `busybox` image present (the built-in
 *   one, or imported) or name another image with `options.image` that has `sh`, `sleep`, `cat`, `head`, `tr` and
 *   `busybox httpd` (for port-forward).
 * - `reopen`, when given, returns a second, fresh instance over the same state (an agent restart); without it
 *   the `adoption` case is skipped.
 * - `cleanup` runs last, after the suite removed every sandbox it made; the backend removes its root and
 *   anything else it left (network namespaces, cgroups).
 * - A skip names a case (ConformanceCase) and says why this backend does not do it; cases are independent.
 *
 * Cases use only what the contract promises: they wait with deadlines, never fixed sleeps, and accept either
 * outcome where the contract allows two (a missing executable may fail startContainer or end the container).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ImageService } from '../cri/image-service.js';
import type { ContainerConfig, ContainerStatus, PodSandboxConfig, RuntimeService } from '../cri/runtime-service.js';
import { isRuntimeNotFound } from '../cri/runtime-service.js';
import { until } from './until.js';
import { freePort } from '../../base/net/free-port.js';

/** CONFORMANCE_CASES names every case, so backends can skip one by name. */
export const CONFORMANCE_CASES = [
  'version',
  'sandbox-lifecycle',
  'unknown-ids',
  'container-lifecycle',
  'names-unique-per-attempt',
  'command-args-env-workdir',
  'exit-codes',
  'missing-executable',
  'log-format',
  'log-append-across-attempts',
  'stop-grace',
  'stop-kill-after-timeout',
  'stop-exited-is-noop',
  'exec-sync',
  'exec-sync-timeout',
  'exec-streams',
  'port-forward',
  'stop-sandbox-stops-containers',
  'remove-sandbox-removes-containers',
  'adoption',
  'container-stats',
] as const;

/** ConformanceCase is one case of the suite. */
export type ConformanceCase = (typeof CONFORMANCE_CASES)[number];

/** ConformanceSubject is a backend instance under test. */
export interface ConformanceSubject {
  readonly runtime: RuntimeService;
  readonly images: ImageService;
  /** Removes everything the backend left (its root, netns, cgroups); runs after the suite removed its sandboxes. */
  cleanup(): Promise<void>;
  /** A second instance over the same state, as after an agent restart; absent: `adoption` is skipped. */
  reopen?(): Promise<RuntimeService>;
}

/** ConformanceOptions tune the suite to a backend. */
export interface ConformanceOptions {
  /** Cases this backend does not pass, each with the reason (shown as the skip message). */
  readonly skips?: Partial<Record<ConformanceCase, string>>;
  /** @default "busybox" */
  readonly image?: string;
  /** Sandboxes' cgroup parent, so the backend's test can remove it afterwards. */
  readonly cgroupParent?: string;
  /** Per-case timeout in ms. @default 60000 */
  readonly timeoutMs?: number;
  /** Skips the whole suite with this reason (the host lacks what the backend needs). */
  readonly skip?: string | false;
}

interface LogRecord {
  readonly time: string;
  readonly stream: string;
  readonly tag: string;
  readonly text: string;
}

const CRI_LOG_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{1,9}(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) (F|P) (.*)$/;

/** readLog parses a CRI log file; a line that is not a CRI record fails the case. */
function readLog(path: string): LogRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', `the log ${path} ends with a newline`);
  return lines.map((line) => {
    const m = CRI_LOG_LINE.exec(line);
    assert.ok(m, `not a CRI log line: ${JSON.stringify(line.slice(0, 200))}`);
    return { time: m[1] ?? '', stream: m[2] ?? '', tag: m[3] ?? '', text: m[4] ?? '' };
  });
}

/** fullLines joins P records into whole lines, per stream. */
function fullLines(records: readonly LogRecord[], stream: 'stdout' | 'stderr'): string[] {
  const out: string[] = [];
  let partial = '';
  for (const r of records) {
    if (r.stream !== stream) continue;
    partial += r.text;
    if (r.tag === 'F') {
      out.push(partial);
      partial = '';
    }
  }
  return out;
}

/** runtimeConformance registers the suite as a `node:test` describe block named after the backend. */
export function runtimeConformance(name: string, makeRuntime: () => Promise<ConformanceSubject>, options: ConformanceOptions = {}): void {
  const image = options.image ?? 'busybox';
  const skips = options.skips ?? {};
  const runId = randomBytes(4).toString('hex');
  const RUN_LABEL = 'conformance.tkube.io/run';
  let subject: ConformanceSubject | undefined;
  let logRoot = '';
  const extraRuntimes: RuntimeService[] = [];

  const rt = (): RuntimeService => {
    if (!subject) throw new Error('the backend did not start');
    return subject.runtime;
  };

  let seq = 0;
  const sandboxConfig = (label: string): PodSandboxConfig => {
    const podName = `${label}-${seq++}`;
    return {
      metadata: { name: podName, namespace: 'conformance', uid: `uid-${runId}-${podName}`, attempt: 0 },
      hostname: podName,
      logDirectory: join(logRoot, podName),
      portMappings: [],
      labels: { [RUN_LABEL]: runId, 'io.kubernetes.pod.name': podName },
      annotations: { 'conformance.tkube.io/case': label },
      dnsConfig: { servers: ['10.43.0.10'], searches: ['conformance.svc.cluster.local'], options: ['ndots:5'] },
      ...(options.cgroupParent ? { linux: { cgroupParent: options.cgroupParent } } : {}),
    };
  };

  const containerConfig = (cname: string, script: string, extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
    metadata: { name: cname, attempt: 0 },
    image,
    command: ['sh', '-c'],
    args: [script],
    envs: [],
    mounts: [],
    labels: { 'io.kubernetes.container.name': cname, [RUN_LABEL]: runId },
    annotations: {},
    logPath: `${cname}/0.log`,
    ...extra,
  });

  /** pod runs a sandbox; containers made with `run` are created and started in it. */
  const pod = async (label: string): Promise<{ id: string; config: PodSandboxConfig; run: (c: ContainerConfig) => Promise<string> }> => {
    const config = sandboxConfig(label);
    const id = await rt().runPodSandbox(config);
    return {
      id,
      config,
      run: async (c) => {
        const cid = await rt().createContainer(id, c, config);
        await rt().startContainer(cid);
        return cid;
      },
    };
  };

  const exited = (id: string, ms = 20_000, runtime: RuntimeService = rt()): Promise<ContainerStatus> =>
    until(`container ${id} exited`, async () => {
      const s = await runtime.containerStatus(id);
      return s.state === 'CONTAINER_EXITED' ? s : undefined;
    }, ms);

  const logHas = (path: string, stream: 'stdout' | 'stderr', line: string, ms = 20_000): Promise<true> =>
    until(`${stream} line ${JSON.stringify(line)} in ${path}`, () => (fullLines(readLog(path), stream).includes(line) ? true : undefined), ms);

  const test = (c: ConformanceCase, title: string, fn: () => Promise<void>): void => {
    const reason = skips[c];
    void it(`${c}: ${title}`, { timeout: options.timeoutMs ?? 60_000, ...(reason ? { skip: reason } : {}) }, fn);
  };

  void describe(`runtime conformance: ${name}`, { ...(options.skip ? { skip: options.skip } : {}) }, () => {
    before(async () => {
      logRoot = mkdtempSync(join(tmpdir(), 'tkube-conformance-logs-'));
      subject = await makeRuntime();
    });

    after(async () => {
      if (subject) {
        for (const s of await subject.runtime.listPodSandbox({ labelSelector: { [RUN_LABEL]: runId } }).catch(() => [])) {
          await subject.runtime.removePodSandbox(s.id).catch(() => undefined);
        }
        for (const r of extraRuntimes) await r.close().catch(() => undefined);
        await subject.runtime.close();
        await subject.cleanup();
      }
      if (logRoot) rmSync(logRoot, { recursive: true, force: true });
    });

    test('version', 'reports a runtime name and version', async () => {
      const v = await rt().version();
      assert.match(v.runtimeName, /^\S+$/);
      assert.ok(v.runtimeVersion.length > 0);
    });

    test('sandbox-lifecycle', 'run, status, list with filters, duplicate attempt, stop twice, remove twice', async () => {
      const config = sandboxConfig('sandbox');
      const id = await rt().runPodSandbox(config);
      const status = await rt().podSandboxStatus(id);
      assert.equal(status.id, id);
      assert.equal(status.state, 'SANDBOX_READY');
      assert.deepEqual(status.metadata, config.metadata);
      assert.equal(status.labels['io.kubernetes.pod.name'], config.metadata.name);
      assert.equal(status.annotations['conformance.tkube.io/case'], 'sandbox');
      assert.ok(status.createdAt > 0 && status.createdAt <= Date.now());
      assert.deepEqual((await rt().listPodSandbox({ id })).map((s) => s.id), [id]);
      assert.deepEqual((await rt().listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': config.metadata.name } })).map((s) => s.id), [id]);
      assert.deepEqual(await rt().listPodSandbox({ id, state: 'SANDBOX_NOTREADY' }), []);
      assert.deepEqual(await rt().listPodSandbox({ labelSelector: { 'io.kubernetes.pod.name': 'no-such-pod' } }), []);
      await assert.rejects(rt().runPodSandbox(config), 'a second sandbox with the same metadata and attempt is refused');
      const next = await rt().runPodSandbox({ ...config, metadata: { ...config.metadata, attempt: 1 } });
      assert.notEqual(next, id);
      await rt().stopPodSandbox(id);
      assert.equal((await rt().podSandboxStatus(id)).state, 'SANDBOX_NOTREADY');
      await rt().stopPodSandbox(id);
      await rt().removePodSandbox(id);
      await assert.rejects(rt().podSandboxStatus(id), isRuntimeNotFound);
      await rt().removePodSandbox(id);
      assert.deepEqual(await rt().listPodSandbox({ id }), []);
      await rt().removePodSandbox(next);
    });

    test('unknown-ids', 'status of unknown IDs rejects with RuntimeNotFoundError; stop and remove are no-ops', async () => {
      const unknown = `0000${randomBytes(14).toString('hex')}`;
      await assert.rejects(rt().podSandboxStatus(unknown), isRuntimeNotFound);
      await assert.rejects(rt().containerStatus(unknown), isRuntimeNotFound);
      await rt().stopPodSandbox(unknown);
      await rt().removePodSandbox(unknown);
      await rt().removeContainer(unknown);
      assert.deepEqual(await rt().listContainers({ id: unknown }), []);
      const p = await pod('unknown');
      await assert.rejects(rt().createContainer(unknown, containerConfig('c', 'true'), p.config), isRuntimeNotFound);
      await rt().removePodSandbox(p.id);
    });

    test('container-lifecycle', 'create, start, status, list with filters, stop, remove', async () => {
      const p = await pod('lifecycle');
      const config = containerConfig('sleeper', 'echo up; exec sleep 3600');
      const id = await rt().createContainer(p.id, config, p.config);
      const created = await rt().containerStatus(id);
      assert.equal(created.state, 'CONTAINER_CREATED');
      assert.equal(created.sandboxId, p.id);
      assert.deepEqual(created.metadata, config.metadata);
      assert.equal(created.image, image);
      assert.match(created.imageRef, /\S/);
      assert.equal(created.startedAt, 0);
      assert.equal(created.labels['io.kubernetes.container.name'], 'sleeper');
      assert.equal(created.logPath, join(p.config.logDirectory, config.logPath));
      await rt().startContainer(id);
      const running = await rt().containerStatus(id);
      assert.equal(running.state, 'CONTAINER_RUNNING');
      assert.ok(running.startedAt >= created.createdAt);
      assert.equal(running.finishedAt, 0);
      await logHas(running.logPath, 'stdout', 'up');
      assert.deepEqual((await rt().listContainers({ sandboxId: p.id })).map((c) => c.id), [id]);
      assert.deepEqual((await rt().listContainers({ id })).map((c) => c.id), [id]);
      assert.deepEqual((await rt().listContainers({ sandboxId: p.id, state: 'CONTAINER_RUNNING' })).map((c) => c.id), [id]);
      assert.deepEqual(await rt().listContainers({ sandboxId: p.id, state: 'CONTAINER_EXITED' }), []);
      assert.deepEqual((await rt().listContainers({ labelSelector: { 'io.kubernetes.container.name': 'sleeper', [RUN_LABEL]: runId } })).map((c) => c.id), [id]);
      await rt().stopContainer(id, 2);
      const stopped = await rt().containerStatus(id);
      assert.equal(stopped.state, 'CONTAINER_EXITED', 'stopContainer resolves once the container has exited');
      assert.ok(stopped.finishedAt >= stopped.startedAt);
      assert.notEqual(stopped.exitCode, 0);
      await rt().removeContainer(id);
      await assert.rejects(rt().containerStatus(id), isRuntimeNotFound);
      await rt().removeContainer(id);
      // Remove of a running container stops it first.
      const second = await p.run(containerConfig('second', 'exec sleep 3600'));
      assert.equal((await rt().containerStatus(second)).state, 'CONTAINER_RUNNING');
      await rt().removeContainer(second);
      assert.deepEqual(await rt().listContainers({ sandboxId: p.id }), []);
      await rt().removePodSandbox(p.id);
    });

    test('names-unique-per-attempt', 'a second container with the same name and attempt is refused; the next attempt is not', async () => {
      const p = await pod('names');
      const first = await rt().createContainer(p.id, containerConfig('c', 'true'), p.config);
      await assert.rejects(rt().createContainer(p.id, containerConfig('c', 'true'), p.config));
      const next = await rt().createContainer(p.id, containerConfig('c', 'true', { metadata: { name: 'c', attempt: 1 }, logPath: 'c/1.log' }), p.config);
      assert.notEqual(next, first);
      const other = await pod('names');
      await rt().createContainer(other.id, containerConfig('c', 'true'), other.config);
      await rt().removePodSandbox(p.id);
      await rt().removePodSandbox(other.id);
    });

    test('command-args-env-workdir', 'pod command/args replace the image\'s entrypoint/cmd; env and workingDir apply', async () => {
      const p = await pod('cmd');
      const envs = [{ key: 'GREETING', value: 'hello' }, { key: 'OTHER', value: 'a b' }, { key: 'GREETING', value: 'hi' }];
      const a = await p.run(containerConfig('a', 'echo "$GREETING" "$OTHER"; echo "host=$HOSTNAME"; pwd', { envs, workingDir: '/tmp' }));
      const b = await p.run(containerConfig('b', '', { command: ['echo'], args: ['one', 'two'] }));
      const c = await p.run(containerConfig('c', '', { command: [], args: ['echo', 'from-args'] }));
      const [sa, sb, sc] = await Promise.all([exited(a), exited(b), exited(c)]);
      assert.deepEqual(fullLines(readLog(sa.logPath), 'stdout'), ['hi a b', `host=${p.config.hostname}`, '/tmp']);
      assert.deepEqual(fullLines(readLog(sb.logPath), 'stdout'), ['one two']);
      assert.deepEqual(fullLines(readLog(sc.logPath), 'stdout'), ['from-args']);
      for (const s of [sa, sb, sc]) assert.equal(s.exitCode, 0);
      await rt().removePodSandbox(p.id);
    });

    test('exit-codes', 'exit codes and reasons; times are ordered', async () => {
      const p = await pod('exit');
      const ok = await p.run(containerConfig('ok', 'true'));
      const bad = await p.run(containerConfig('bad', 'exit 3'));
      const [sok, sbad] = await Promise.all([exited(ok), exited(bad)]);
      assert.equal(sok.exitCode, 0);
      assert.equal(sok.reason, 'Completed');
      assert.equal(sbad.exitCode, 3);
      assert.equal(sbad.reason, 'Error');
      for (const s of [sok, sbad]) assert.ok(s.createdAt <= s.startedAt && s.startedAt <= s.finishedAt, JSON.stringify(s));
      await rt().removePodSandbox(p.id);
    });

    test('missing-executable', 'a command that does not exist fails start or ends the container non-zero', async () => {
      const p = await pod('missing');
      const id = await rt().createContainer(p.id, containerConfig('m', '', { command: ['/nonexistent/tkube-no-such-program'], args: [] }), p.config);
      let failedStart = false;
      await rt().startContainer(id).catch(() => (failedStart = true));
      if (!failedStart) {
        const s = await exited(id);
        assert.notEqual(s.exitCode, 0);
      }
      await rt().removePodSandbox(p.id);
    });

    test('log-format', 'stdout and stderr in CRI log format; lines over 16 KiB split into P records', async () => {
      const p = await pod('logs');
      const id = await p.run(containerConfig('l', "echo out1; echo err1 >&2; printf 'no-newline'; echo >&2; head -c 20000 /dev/zero | tr '\\0' a >&2"));
      const s = await exited(id);
      const records = readLog(s.logPath);
      for (const r of records) assert.ok(!Number.isNaN(Date.parse(r.time)), r.time);
      assert.deepEqual(fullLines(records, 'stdout'), ['out1', 'no-newline']);
      const err = fullLines(records, 'stderr');
      assert.deepEqual(err.slice(0, 2), ['err1', '']);
      assert.equal(err[2], 'a'.repeat(20000));
      const longParts = records.filter((r) => r.stream === 'stderr' && r.text.startsWith('a'));
      assert.ok(longParts.length >= 2 && longParts.slice(0, -1).every((r) => r.tag === 'P'), 'a 20000-byte line is split into P records and a final F');
      await rt().removePodSandbox(p.id);
    });

    test('log-append-across-attempts', 'a container whose log file exists appends to it', async () => {
      const p = await pod('append');
      const first = await p.run(containerConfig('c', 'echo first-run', { logPath: 'c/shared.log' }));
      await exited(first);
      const second = await p.run(containerConfig('c', 'echo second-run', { metadata: { name: 'c', attempt: 1 }, logPath: 'c/shared.log' }));
      const s = await exited(second);
      assert.deepEqual(fullLines(readLog(s.logPath), 'stdout'), ['first-run', 'second-run']);
      await rt().removePodSandbox(p.id);
    });

    test('stop-grace', 'stopContainer sends SIGTERM and resolves when the container exits on it', async () => {
      const p = await pod('grace');
      const id = await p.run(containerConfig('g', "trap 'echo got-term; exit 0' TERM; echo ready; while true; do sleep 0.1; done"));
      const { logPath } = await rt().containerStatus(id);
      await logHas(logPath, 'stdout', 'ready');
      const t0 = Date.now();
      await rt().stopContainer(id, 20);
      assert.ok(Date.now() - t0 < 10_000, 'a container that exits on SIGTERM is not waited for until the timeout');
      const s = await rt().containerStatus(id);
      assert.equal(s.state, 'CONTAINER_EXITED');
      assert.equal(s.exitCode, 0);
      assert.ok(fullLines(readLog(logPath), 'stdout').includes('got-term'));
      await rt().removePodSandbox(p.id);
    });

    test('stop-kill-after-timeout', 'a container ignoring SIGTERM is killed after the timeout', async () => {
      const p = await pod('kill');
      const id = await p.run(containerConfig('k', "trap '' TERM; echo ready; while true; do sleep 0.1; done"));
      const { logPath } = await rt().containerStatus(id);
      await logHas(logPath, 'stdout', 'ready');
      const t0 = Date.now();
      await rt().stopContainer(id, 1);
      const took = Date.now() - t0;
      assert.ok(took >= 900, `waited the timeout before SIGKILL (took ${took} ms)`);
      assert.ok(took < 15_000, `killed soon after the timeout (took ${took} ms)`);
      const s = await rt().containerStatus(id);
      assert.equal(s.state, 'CONTAINER_EXITED');
      assert.equal(s.exitCode, 137);
      await rt().removePodSandbox(p.id);
    });

    test('stop-exited-is-noop', 'stopping an exited container changes nothing', async () => {
      const p = await pod('stopped');
      const id = await p.run(containerConfig('s', 'exit 0'));
      const before = await exited(id);
      await rt().stopContainer(id, 1);
      await rt().stopContainer(id, 0);
      const afterStop = await rt().containerStatus(id);
      assert.equal(afterStop.exitCode, 0);
      assert.equal(afterStop.finishedAt, before.finishedAt);
      await rt().removePodSandbox(p.id);
    });

    test('exec-sync', 'execSync returns stdout, stderr and the exit code, with the container\'s env', async () => {
      const p = await pod('execsync');
      const id = await p.run(containerConfig('e', 'exec sleep 3600', { envs: [{ key: 'GREETING', value: 'from-env' }] }));
      const r = await rt().execSync(id, ['sh', '-c', 'echo out "$GREETING"; echo err >&2; exit 4'], 10);
      assert.equal(r.stdout.toString(), 'out from-env\n');
      assert.equal(r.stderr.toString(), 'err\n');
      assert.equal(r.exitCode, 4);
      assert.equal(r.timedOut, false);
      const ok = await rt().execSync(id, ['true'], 0);
      assert.equal(ok.exitCode, 0);
      await rt().removePodSandbox(p.id);
    });

    test('exec-sync-timeout', 'execSync gives up after its timeout and says so', async () => {
      const p = await pod('exectimeout');
      const id = await p.run(containerConfig('e', 'exec sleep 3600'));
      const t0 = Date.now();
      const r = await rt().execSync(id, ['sleep', '30'], 1);
      assert.equal(r.timedOut, true);
      assert.ok(Date.now() - t0 < 10_000);
      await rt().removePodSandbox(p.id);
    });

    test('exec-streams', 'exec connects stdin, stdout and stderr and resolves with the exit code', async () => {
      const p = await pod('exec');
      const id = await p.run(containerConfig('e', 'exec sleep 3600'));
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      stdout.on('data', (d: Buffer) => out.push(d));
      stderr.on('data', (d: Buffer) => err.push(d));
      const code = await rt().exec(id, ['sh', '-c', 'cat; echo bye >&2; exit 5'], { stdin: Readable.from([Buffer.from('hello\n'), Buffer.from('world\n')]), stdout, stderr });
      assert.equal(code, 5);
      assert.equal(Buffer.concat(out).toString(), 'hello\nworld\n');
      assert.equal(Buffer.concat(err).toString(), 'bye\n');
      await rt().removePodSandbox(p.id);
    });

    test('port-forward', 'portForward reaches a port the container listens on; a refused port rejects and writes nothing', async () => {
      const p = await pod('pf');
      const port = await freePort();
      await p.run(containerConfig('web', `mkdir -p www && echo hello-pf > www/index.html && exec busybox httpd -f -p ${port} -h www`));
      let server: Server | undefined;
      try {
        server = createServer((socket) => void rt().portForward(p.id, port, socket).catch(() => socket.destroy()));
        await new Promise<void>((res) => server?.listen(0, '127.0.0.1', () => res()));
        const local = (server.address() as AddressInfo).port;
        const body = await until('page served through portForward', () =>
          new Promise<string | undefined>((res) => {
            get({ host: '127.0.0.1', port: local, path: '/index.html' }, (resp) => {
              let text = '';
              resp.on('data', (d: Buffer) => (text += d.toString()));
              resp.on('end', () => res(text.includes('hello-pf') ? text : undefined));
              resp.on('error', () => res(undefined));
            }).on('error', () => res(undefined));
          }),
        );
        assert.match(body, /hello-pf/);
      } finally {
        server?.close();
      }
      const refused = await freePort();
      const stream = new PassThrough();
      let wrote = 0;
      stream.on('data', (d: Buffer) => (wrote += d.length));
      await assert.rejects(rt().portForward(p.id, refused, stream), new RegExp(`Cannot forward port ${refused}`));
      assert.equal(wrote, 0, 'a failed port-forward writes nothing to the stream');
      await rt().removePodSandbox(p.id);
    });

    test('stop-sandbox-stops-containers', 'stopPodSandbox ends its containers; a stopped sandbox takes no new ones', async () => {
      const p = await pod('stopsb');
      const id = await p.run(containerConfig('s', 'exec sleep 3600'));
      await rt().stopPodSandbox(p.id);
      assert.equal((await rt().containerStatus(id)).state, 'CONTAINER_EXITED');
      await assert.rejects(rt().createContainer(p.id, containerConfig('late', 'true'), p.config));
      await rt().removePodSandbox(p.id);
    });

    test('remove-sandbox-removes-containers', 'removePodSandbox stops and removes its containers', async () => {
      const p = await pod('rmsb');
      const id = await p.run(containerConfig('r', 'exec sleep 3600'));
      await rt().removePodSandbox(p.id);
      await assert.rejects(rt().containerStatus(id), isRuntimeNotFound);
      assert.deepEqual(await rt().listContainers({ sandboxId: p.id }), []);
      assert.deepEqual(await rt().listPodSandbox({ id: p.id }), []);
    });

    void it('adoption: a new instance over the same state lists what runs, and running containers keep running', { timeout: options.timeoutMs ?? 60_000, ...(skips.adoption ? { skip: skips.adoption } : {}) }, async (t) => {
      if (!subject?.reopen) {
        t.skip('the backend gives no reopen()');
        return;
      }
      const p = await pod('adopt');
      const id = await p.run(containerConfig('ticker', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 0.1; done'));
      const running = await rt().containerStatus(id);
      await logHas(running.logPath, 'stdout', 'tick 1');
      const again = await subject.reopen();
      extraRuntimes.push(again);
      assert.deepEqual((await again.listPodSandbox({ id: p.id })).map((s) => s.state), ['SANDBOX_READY']);
      const adopted = (await again.listContainers({ sandboxId: p.id }))[0];
      assert.equal(adopted?.id, id);
      assert.equal(adopted.state, 'CONTAINER_RUNNING');
      assert.equal(adopted.startedAt, running.startedAt);
      const seen = fullLines(readLog(running.logPath), 'stdout').length;
      await until('the log keeps growing', () => (fullLines(readLog(running.logPath), 'stdout').length > seen + 2 ? true : undefined));
      const r = await again.execSync(id, ['sh', '-c', 'echo adopted'], 10);
      assert.equal(r.stdout.toString(), 'adopted\n');
      await again.stopContainer(id, 1);
      assert.equal((await again.containerStatus(id)).state, 'CONTAINER_EXITED');
      assert.equal((await rt().containerStatus(id)).state, 'CONTAINER_EXITED');
      await again.removePodSandbox(p.id);
    });

    test('container-stats', 'containerStats measures a running container, or says it cannot (undefined)', async () => {
      const p = await pod('stats');
      const id = await p.run(containerConfig('s', 'exec sleep 3600'));
      const stats = await rt().containerStats(id);
      if (stats !== undefined) {
        assert.equal(stats.id, id);
        assert.ok(stats.timestamp > 0);
        for (const v of [stats.cpuUsageCoreNanoSeconds, stats.memoryUsageBytes, stats.memoryWorkingSetBytes, stats.writableLayerUsedBytes]) assert.ok(Number.isFinite(v) && v >= 0);
      }
      await assert.rejects(rt().containerStats(`0000${randomBytes(14).toString('hex')}`), isRuntimeNotFound);
      await rt().removePodSandbox(p.id);
    });
  });
}
