/**
 * Scheduler benchmark in the shape of upstream's scheduler_perf SchedulingBasic: N nodes (plain Node objects, as
 * upstream's perf harness makes them: no kubelets), an initial batch of pods scheduled first, then a measured
 * batch created by 64 clients as fast as the API takes them while the scheduler (running inside the server, as
 * `tkube server` runs it) binds them through `pods/binding`, every binding durably stored.
 * Run: node --import tsx bench/scheduler.ts [--nodes 5000] [--initial 1000] [--measured 10000] [--no-scheduler]
 *   [--server-args "--components-process separate"]
 *
 * `--no-scheduler` runs the same creates on a server without the scheduler and reports only their rate: the
 * durable create rate when nothing competes with the creates for the server's one thread.
 *
 * Figures: scheduled pods/s over the measured batch (first create sent → last binding, by the PodScheduled
 * condition the binding wrote, to the second), the
 * per-second throughput distribution (upstream's SchedulingThroughput: average and percentiles of 1 s buckets),
 * the create rate of the same batch (the durable create rate it is compared with, in the same run) and the ratio
 * scheduled/s ÷ created/s (1.0 means the scheduler kept up with the API), and how many `Scheduled` Events the
 * scheduler wrote for the measured pods (its event recorder drops events rather than slow bindings, as upstream's
 * does when its queue is full), counted once its queue drained, with the dropped ones and the drain's seconds (from
 * the scheduler's tkube_scheduler_events_* families on /metrics), and the server's CPU ms per measured pod. Prints
 * one JSON line.
 * Targets: ≥ 680 pods/s on 5,000 nodes; ≥ 1,000 pods/s on 1,000 nodes.
 */
import type { Agent } from 'node:https';
import { request } from 'node:https';

import { round } from './latency-summary.js';
import { numberArg, serverArgsArg } from './bench-args.js';
import { ServerProcess } from './server-process.js';

const CONCURRENCY = 64;
const NAMESPACE = 'sched';

const NODES = numberArg('--nodes', 5000);
const INITIAL = numberArg('--initial', 1000);
const MEASURED = numberArg('--measured', 10_000);
const WITH_SCHEDULER = !process.argv.includes('--no-scheduler');

/** node is a Ready node with upstream's scheduler_perf default capacity (4 CPU, 32 GiB, 110 pods). */
function node(name: string): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': `zone-${name.length % 3}` } },
    spec: {},
    status: {
      capacity: { cpu: '4', memory: '32Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '32Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
    },
  });
}

/** pod is upstream's pod-default: one container requesting 100m CPU and 500Mi memory. */
function pod(name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: { containers: [{ name: 'pause', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '100m', memory: '500Mi' } } }] },
  });
}

/**
 * BindingWatch follows the namespace's bound pods (a field selector on spec.nodeName, so the server sends only the
 * bindings and later changes, not every create: a client that cannot keep up is closed as too slow and resumes)
 * and records when each pod is first seen bound.
 */
class BindingWatch {
  readonly boundAt = new Map<string, number>();
  /** How often the server ended the watch and it was resumed. */
  reopened = 0;
  #close: () => void = () => undefined;

  #rv = '';
  #stopped = false;

  /**
   * start opens the watch; it resumes from the last revision seen whenever the stream ends, however it ends (the
   * server ended it, or the connection broke: then the response only closes, without 'end'), and retries a failed
   * resume after a moment, so a broken stream never leaves the benchmark waiting for bindings it cannot see.
   */
  start(server: ServerProcess, agent: Agent, resourceVersion: string): Promise<void> {
    this.#rv = resourceVersion;
    let started = false;
    return new Promise((ready, fail) => {
      const resume = (): void => {
        if (this.#stopped) return;
        this.reopened++;
        setTimeout(open, 100);
      };
      const open = (): void => {
        // A stream that breaks may report both a closed response and a request error: resume once.
        let resumed = false;
        const again = (): void => {
          if (resumed) return;
          resumed = true;
          resume();
        };
        const url = new URL(`/api/v1/namespaces/${NAMESPACE}/pods?watch=true&resourceVersion=${this.#rv}&timeoutSeconds=3600&fieldSelector=spec.nodeName!%3D`, server.url);
        const req = request(url, { agent, headers: { Accept: 'application/json' } }, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            if (!started) return fail(new Error(`Cannot watch pods: HTTP ${res.statusCode}`));
            return again();
          }
          started = true;
          ready();
          let buffered = '';
          res.setEncoding('utf8');
          res.on('close', again);
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              const event = JSON.parse(line) as { type: string; object?: { metadata?: { name?: string; resourceVersion?: string }; spec?: { nodeName?: string } } };
              // Only the first watch can fail the benchmark; a resumed one that errors (410) is a bug worth seeing.
              if (event.type === 'ERROR') throw new Error(`Cannot watch pods: ${line.slice(0, 300)}`);
              this.#rv = event.object?.metadata?.resourceVersion ?? this.#rv;
              const name = event.object?.metadata?.name;
              if (name && event.object?.spec?.nodeName && !this.boundAt.has(name)) this.boundAt.set(name, performance.now());
            }
          });
        });
        req.on('error', (err) => (started ? again() : fail(err)));
        req.end();
        this.#close = () => req.destroy();
      };
      open();
    });
  }

  async waitFor(count: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    let reported = performance.now();
    while (this.boundAt.size < count) {
      if (performance.now() - reported > 10_000) {
        reported = performance.now();
        process.stderr.write(`scheduler bench: ${this.boundAt.size} of ${count} pods bound\n`);
      }
      if (performance.now() > deadline) throw new Error(`Cannot benchmark the scheduler: only ${this.boundAt.size} of ${count} pods bound within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.#stopped = true;
    this.#close();
  }
}

/** createAll creates `count` objects with CONCURRENCY clients; resolves with the seconds it took. */
async function createAll(count: number, create: (i: number) => Promise<void>): Promise<number> {
  const next = { i: 0 };
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next.i++; i < count; i = next.i++) await create(i);
    }),
  );
  return (performance.now() - start) / 1000;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const server = await ServerProcess.start({ withScheduler: WITH_SCHEDULER, readyTimeoutMs: 120_000, serverArgs: serverArgsArg() });
const watch = new BindingWatch();
try {
  const agent = server.agent(CONCURRENCY + 1);
  await server.createNamespace(agent, NAMESPACE);
  const expect201 = async (path: string, body: string): Promise<void> => {
    const reply = await server.call(agent, 'POST', path, body);
    if (reply.status !== 201) throw new Error(`Cannot create ${path}: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
  };
  const nodeSeconds = await createAll(NODES, (i) => expect201('/api/v1/nodes', node(`node-${i}`)));
  const list = await server.call(agent, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods?limit=1`);
  const rv = (JSON.parse(list.body.toString('utf8')) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  await watch.start(server, agent, rv);

  await createAll(INITIAL, (i) => expect201(`/api/v1/namespaces/${NAMESPACE}/pods`, pod(`initial-${i}`)));
  if (WITH_SCHEDULER) await watch.waitFor(INITIAL, 300_000);

  const t0 = Date.now();
  const cpu0 = server.cpuSeconds();
  const createSeconds = await createAll(MEASURED, (i) => expect201(`/api/v1/namespaces/${NAMESPACE}/pods`, pod(`measured-${i}`)));
  if (!WITH_SCHEDULER) {
    process.stdout.write(`${JSON.stringify({
      bench: 'scheduler',
      scheduler: false,
      nodes: NODES,
      initialPods: INITIAL,
      measuredPods: MEASURED,
      nodesCreatedPerSec: round(NODES / nodeSeconds),
      podsCreatedPerSec: round(MEASURED / createSeconds),
      serverPeakRssMb: round(server.rssMegabytes('VmHWM')),
      createSeconds: round(createSeconds),
    })}\n`);
  } else {
    await reportScheduling(agent, t0, cpu0, createSeconds, nodeSeconds);
  }
  agent.destroy();
} finally {
  watch.close();
  await server.stop();
}

/** reportScheduling waits for every measured pod to be bound and prints the scheduling figures. */
async function reportScheduling(agent: Agent, t0: number, cpu0: number, createSeconds: number, nodeSeconds: number): Promise<void> {
  await watch.waitFor(INITIAL + MEASURED, 600_000);
  const cpuBound = server.cpuSeconds();
  // Binding times come from the server's own record (the PodScheduled condition the binding writes, to the
  // second), not from when this process's watch saw them: under load the watch lags the writes by seconds.
  const pods = JSON.parse((await server.call(agent, 'GET', `/api/v1/namespaces/${NAMESPACE}/pods`)).body.toString('utf8')) as {
    items: { metadata: { name: string }; status?: { conditions?: { type: string; lastTransitionTime?: string }[] } }[];
  };
  const bound = pods.items
    .filter((p) => p.metadata.name.startsWith('measured-'))
    .map((p) => Date.parse(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime ?? '') + 500 - t0);
  if (bound.length !== MEASURED || bound.some((b) => Number.isNaN(b))) throw new Error('Cannot benchmark the scheduler: a measured pod has no PodScheduled time');
  const last = Math.max(...bound);
  const buckets = new Array<number>(Math.max(1, Math.ceil(last / 1000))).fill(0);
  for (const at of bound) buckets[Math.max(0, Math.min(buckets.length - 1, Math.floor(at / 1000)))]! += 1;
  const sorted = [...buckets].sort((a, b) => a - b);
  const scheduledPerSec = MEASURED / (last / 1000);
  // The Scheduled Events of the measured pods, once the recorder wrote what it queued (its queue, on /metrics, is
  // empty; at most 120 s): how long that took says how far the events trail the bindings.
  const drainStart = performance.now();
  let backlog = await eventBacklog(agent);
  while (backlog.queued > 0 && performance.now() - drainStart < 120_000) {
    await new Promise((r) => setTimeout(r, 100));
    backlog = await eventBacklog(agent);
  }
  const eventDrainSeconds = (performance.now() - drainStart) / 1000;
  const cpuDrained = server.cpuSeconds();
  const events = JSON.parse(
    (await server.call(agent, 'GET', `/api/v1/namespaces/${NAMESPACE}/events?fieldSelector=reason%3DScheduled`)).body.toString('utf8'),
  ) as { items: { involvedObject?: { name?: string } }[] };
  const scheduledEvents = events.items.filter((e) => e.involvedObject?.name?.startsWith('measured-')).length;
  const createdPerSec = MEASURED / createSeconds;
  process.stdout.write(`${JSON.stringify({
    bench: 'scheduler',
    serverArgs: serverArgsArg().join(' '),
    nodes: NODES,
    initialPods: INITIAL,
    measuredPods: MEASURED,
    nodesCreatedPerSec: round(NODES / nodeSeconds),
    podsCreatedPerSec: round(createdPerSec),
    podsScheduledPerSec: round(scheduledPerSec),
    throughputBuckets: { average: round(scheduledPerSec), p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99) },
    ratioToCreates: round(scheduledPerSec / createdPerSec, 3),
    serverPeakRssMb: round(server.rssMegabytes('VmHWM')),
    // The server process's CPU per measured pod (a child components process not counted): until the benchmark's
    // watch saw the last binding, and until the event queue drained too. Steadier than rates on a loaded machine.
    serverCpuMsPerPod: { bound: round(((cpuBound - cpu0) * 1000) / MEASURED, 2), eventsDrained: round(((cpuDrained - cpu0) * 1000) / MEASURED, 2) },
    watchResumes: watch.reopened,
    scheduledEvents,
    eventsDropped: { normal: backlog.droppedNormal, warning: backlog.droppedWarning },
    eventsFailed: backlog.failed,
    eventsQueuedAtEnd: backlog.queued,
    eventDrainSeconds: round(eventDrainSeconds, 1),
    perSecond: buckets,
    createSeconds: round(createSeconds),
  })}\n`);
}

/**
 * eventBacklog reads the scheduler's event recorder figures from the server's /metrics (the leading scheduler's,
 * in-process or from the components process); zeros when the families are absent.
 */
async function eventBacklog(agent: Agent): Promise<{ queued: number; droppedNormal: number; droppedWarning: number; failed: number }> {
  const text = (await server.call(agent, 'GET', '/metrics')).body.toString('utf8');
  const lines = text.split('\n');
  const sample = (name: string): number => Number(lines.find((l) => l.startsWith(`${name} `))?.slice(name.length + 1) ?? 0);
  return {
    queued: sample('tkube_scheduler_events_queued'),
    droppedNormal: sample('tkube_scheduler_events_dropped_total{type="Normal"}'),
    droppedWarning: sample('tkube_scheduler_events_dropped_total{type="Warning"}'),
    failed: sample('tkube_scheduler_events_failed_total'),
  };
}
