/**
 * Pod lifecycle on a real runc node with real kubectl: init containers run in order before the app (and a
 * failing one fails a restartPolicy Never pod), a sidecar runs beside the app, a failing liveness probe restarts
 * its container (Unhealthy and Killing events), readiness probes (exec and httpGet into the pod's network
 * namespace) gate Ready, termination messages reach the status, a failing postStart hook is reported,
 * activeDeadlineSeconds fails a pod, and a deleted pod gets its preStop hook, then SIGTERM, then SIGKILL.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { getPod, waitForNodeReady } from '../harness/pods.js';
import { deletePodsAndCleanUp } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

interface Terminated {
  exitCode: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}
interface CStatus {
  name: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: { waiting?: { reason: string }; running?: { startedAt: string }; terminated?: Terminated };
  lastState: { terminated?: Terminated };
}
interface PodJson {
  metadata: { uid: string };
  status?: { phase?: string; reason?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[]; initContainerStatuses?: CStatus[]; containerStatuses?: CStatus[] };
}
interface EventJson {
  involvedObject: { name: string };
  reason: string;
  message: string;
}

const container = (name: string, script: string, extra: object = {}): object => ({ name, image: 'busybox', command: ['sh', '-c', script], ...extra });
const pod = (name: string, spec: object): object => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { terminationGracePeriodSeconds: 1, ...spec } });
const execProbe = (cmd: string[], extra: object = {}): object => ({ exec: { command: cmd }, periodSeconds: 1, ...extra });

void describe('kubelet pod lifecycle on runc', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-lc-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0'] });
    await waitForNodeReady(c, node);
    // All pods start together, so the slow parts (back-off, deadlines) overlap.
    const pods = [
      pod('init', {
        initContainers: [container('first', 'echo one'), container('second', 'sleep 1; echo two'), container('side', 'echo side up; sleep 2; touch /tmp/up; exec sleep 3600', { restartPolicy: 'Always', startupProbe: execProbe(['cat', '/tmp/up'], { failureThreshold: 30 }) })],
        containers: [container('main', 'exec sleep 3600')],
      }),
      pod('failinit', { restartPolicy: 'Never', initContainers: [container('bad', 'exit 3')], containers: [container('main', 'exec sleep 3600')] }),
      pod('liveness', { containers: [container('main', 'exec sleep 3600', { livenessProbe: execProbe(['cat', '/tmp/healthy'], { failureThreshold: 1 }) })] }),
      pod('readiness', {
        containers: [
          container('gate', 'sleep 4; touch /tmp/ready; exec sleep 3600', { readinessProbe: execProbe(['cat', '/tmp/ready']) }),
          container('web', 'mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www', {
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/index.html', port: 'http' }, periodSeconds: 1 },
            livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          }),
        ],
      }),
      pod('termmsg', {
        restartPolicy: 'Never',
        containers: [
          container('file', 'printf bye > /dev/termination-log; exit 2'),
          container('logs', 'echo from logs; exit 1', { terminationMessagePolicy: 'FallbackToLogsOnError' }),
          container('custom', 'printf custom > /tmp/msg', { terminationMessagePath: '/tmp/msg' }),
        ],
      }),
      pod('poststart', { restartPolicy: 'Never', containers: [container('main', 'exec sleep 3600', { lifecycle: { postStart: { exec: { command: ['sh', '-c', 'exit 7'] } } } })] }),
      pod('deadline', { activeDeadlineSeconds: 3, containers: [container('main', 'exec sleep 3600')] }),
      pod('stopper', {
        terminationGracePeriodSeconds: 3,
        containers: [
          container('main', 'trap "echo TERM received" TERM; echo started; while true; do sleep 1; done', {
            lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo prestop > /proc/1/fd/1'] } } },
          }),
        ],
      }),
      pod('ordered', {
        terminationGracePeriodSeconds: 10,
        initContainers: [container('side', 'trap "echo side TERM; exit 0" TERM; echo side up; while true; do sleep 1; done', { restartPolicy: 'Always' })],
        containers: [container('main', 'trap "sleep 1; echo main done; exit 0" TERM; while true; do sleep 1; done')],
      }),
    ];
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }) });
  });
  after(async () => {
    if (!c) return;
    await deletePodsAndCleanUp(c);
  });

  const get = (name: string): Promise<PodJson> => getPod<PodJson>(c, name);
  const condition = (p: PodJson, type: string): string | undefined => p.status?.conditions?.find((x) => x.type === type)?.status;
  const events = async (name: string): Promise<EventJson[]> => (JSON.parse(await c.kubectlOk(['get', 'events', '-o', 'json'])) as { items: EventJson[] }).items.filter((e) => e.involvedObject.name === name);

  void it('runs init containers in order before the app, with a sidecar beside it', async () => {
    const p = await eventually(async () => {
      const x = await get('init');
      return x.status?.phase === 'Running' && x.status.containerStatuses?.[0]?.state.running ? x : undefined;
    }, 60_000);
    const [first, second, side] = p.status?.initContainerStatuses ?? [];
    assert.equal(first?.state.terminated?.reason, 'Completed');
    assert.equal(second?.state.terminated?.exitCode, 0);
    assert.ok((second?.state.terminated?.startedAt ?? '') >= (first?.state.terminated?.finishedAt ?? 'z'), 'second init container ran after the first');
    assert.ok((p.status?.containerStatuses?.[0]?.state.running?.startedAt ?? '') >= (second?.state.terminated?.finishedAt ?? 'z'), 'the app ran after init');
    assert.ok(side?.state.running, 'the sidecar keeps running');
    // The app waited for the sidecar's startupProbe (its file appears 2 s after it started).
    const sideStarted = Date.parse(side?.state.running?.startedAt ?? '');
    assert.ok(Date.parse(p.status?.containerStatuses?.[0]?.state.running?.startedAt ?? '') - sideStarted >= 1_000, 'the app started after the sidecar had started');
    assert.equal(side?.started, true);
    assert.equal(condition(p, 'Initialized'), 'True');
    assert.equal(await c.kubectlOk(['logs', 'init', '-c', 'side']), 'side up\n');
    assert.match(await c.kubectlOk(['get', 'pod', 'init']), /init\s+2\/2\s+Running/);
  });

  void it('fails a restartPolicy Never pod whose init container fails', async () => {
    await eventually(async () => (await get('failinit')).status?.phase === 'Failed', 60_000);
    assert.match(await c.kubectlOk(['get', 'pod', 'failinit']), /Init:Error/);
    const p = await get('failinit');
    assert.equal(p.status?.initContainerStatuses?.[0]?.state.terminated?.exitCode, 3);
    assert.equal(p.status?.containerStatuses?.[0]?.state.waiting?.reason, 'PodInitializing');
  });

  void it('reports termination messages from the file and, on error, from the logs', async () => {
    const p = await eventually(async () => {
      const x = await get('termmsg');
      return x.status?.phase === 'Failed' ? x : undefined;
    }, 60_000);
    const by = new Map((p.status?.containerStatuses ?? []).map((s) => [s.name, s.state.terminated]));
    assert.equal(by.get('file')?.message, 'bye');
    assert.equal(by.get('logs')?.message, 'from logs\n');
    assert.equal(by.get('custom')?.message, 'custom');
  });

  void it('gates Ready on readiness probes (exec, and httpGet into the pod network namespace)', async () => {
    const p = await eventually(async () => {
      const x = await get('readiness');
      return condition(x, 'Ready') === 'True' ? x : undefined;
    }, 60_000);
    // The gate container creates its readiness file 4 s after it started: Ready turned True no earlier.
    const startedAt = Date.parse(p.status?.containerStatuses?.find((s) => s.name === 'gate')?.state.running?.startedAt ?? '');
    const readySince = Date.parse(p.status?.conditions?.find((x) => x.type === 'Ready')?.lastTransitionTime ?? '');
    assert.ok(readySince - startedAt >= 3_000, `Ready ${readySince - startedAt} ms after the gate container started`);
    assert.equal(condition(p, 'ContainersReady'), 'True');
    assert.ok(p.status?.containerStatuses?.every((s) => s.ready && s.restartCount === 0), 'tcpSocket liveness holds');
  });

  void it('restarts a container whose liveness probe fails', async () => {
    const s = await eventually(async () => {
      const x = (await get('liveness')).status?.containerStatuses?.[0];
      return x && x.restartCount >= 1 ? x : undefined;
    }, 60_000);
    assert.equal(s.lastState.terminated?.exitCode, 137);
    const ev = await events('liveness');
    assert.ok(ev.some((e) => e.reason === 'Unhealthy' && /^Liveness probe failed: /.test(e.message)), JSON.stringify(ev));
    assert.ok(ev.some((e) => e.reason === 'Killing' && e.message === 'Container main failed liveness probe, will be restarted'));
    for (const reason of ['Pulled', 'Created', 'Started']) assert.ok(ev.some((e) => e.reason === reason), `${reason} event`);
  });

  void it('reports a failing postStart hook and kills the container', async () => {
    await eventually(async () => (await get('poststart')).status?.phase === 'Failed', 60_000);
    const ev = await eventually(async () => {
      const e = await events('poststart');
      return e.some((x) => x.reason === 'FailedPostStartHook') ? e : undefined;
    });
    assert.match(ev.find((e) => e.reason === 'FailedPostStartHook')?.message ?? '', /^Exec lifecycle hook \(\[sh -c exit 7\]\) for Container "main" in Pod "poststart_default\(/);
  });

  void it('fails a pod past its activeDeadlineSeconds', async () => {
    const p = await eventually(async () => {
      const x = await get('deadline');
      return x.status?.phase === 'Failed' ? x : undefined;
    }, 60_000);
    assert.equal(p.status?.reason, 'DeadlineExceeded');
    assert.ok(p.status?.containerStatuses?.[0]?.state.terminated);
  });

  void it('runs preStop, then SIGTERM, then SIGKILL after the grace period on delete', async () => {
    const p = await eventually(async () => {
      const x = await get('stopper');
      return x.status?.containerStatuses?.[0]?.state.running ? x : undefined;
    }, 60_000);
    const log = join(c.dataDir, 'agent', 'pods', `default_stopper_${p.metadata.uid}`, 'main', '0.log');
    const t0 = Date.now();
    await c.kubectlOk(['delete', 'pod', 'stopper', '--wait=true', '--timeout=60s']);
    const took = Date.now() - t0;
    const lines = readFileSync(log, 'utf8')
      .split('\n')
      .map((l) => l.split(' ').slice(3).join(' '))
      .filter(Boolean);
    assert.deepEqual(lines.filter((l) => l !== 'started'), ['prestop', 'TERM received'], lines.join('|'));
    // The process ignores SIGTERM, so only SIGKILL at the end of the 3 s grace period ends it.
    assert.ok(took >= 2_000, `deleted after ${took} ms`);
  });

  void it('stops sidecars after the app containers', async () => {
    const p = await eventually(async () => {
      const x = await get('ordered');
      return x.status?.phase === 'Running' ? x : undefined;
    }, 60_000);
    await c.kubectlOk(['delete', 'pod', 'ordered', '--wait=true', '--timeout=60s']);
    const lineTime = (container: string, text: string): string => {
      const file = join(c.dataDir, 'agent', 'pods', `default_ordered_${p.metadata.uid}`, container, '0.log');
      const line = readFileSync(file, 'utf8').split('\n').find((l) => l.endsWith(` ${text}`));
      assert.ok(line, `${container} logged ${text}`);
      return line.split(' ')[0] ?? '';
    };
    assert.ok(lineTime('side', 'side TERM') >= lineTime('main', 'main done'), 'the sidecar got SIGTERM after the app had exited');
  });
});
