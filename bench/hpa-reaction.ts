/**
 * HPA reaction benchmark (issue 10): from a metric crossing its target to the new replica count written to the
 * target's /scale. The server runs every controller but the HPA; this process runs the real HPA controller (the
 * same descriptor code) against it with a metrics client whose value the benchmark sets, so the figure is the
 * controller's own delay with a scrape interval of 0. Each trial waits a random part of a sync period, moves the
 * external metric so the Deployment should grow (or shrink) by one, and times until `spec.replicas` changes.
 * Target: ≤ one sync period (plus the metrics source's scrape interval, 0 here).
 * Run: node --import tsx bench/hpa-reaction.ts [--sync-period-ms 5000] [--trials 8]
 * Prints one JSON line.
 */
import { join } from 'node:path';

import { RealClock } from '../src/base/clock/clock.js';
import { newLogger } from '../src/base/log/logger.js';
import { RestClient } from '../src/client/rest-client.js';
import { ControllerManager } from '../src/controllers/manager.js';
import { FakeMetricsClient } from '../src/controllers/podautoscaler/metrics/fake-metrics-client.js';
import { newHorizontalController } from '../src/controllers/podautoscaler/horizontal-controller.js';
import { numberArg } from './bench-args.js';
import { round, summarizeLatencies } from './latency-summary.js';
import { ServerProcess } from './server-process.js';

const SYNC_MS = numberArg('--sync-period-ms', 5000);
const TRIALS = numberArg('--trials', 8);

const server = await ServerProcess.start({ withControllers: true, serverArgs: ['--controllers', '*,-horizontalpodautoscaling'], readyTimeoutMs: 120_000 });
const metrics = new FakeMetricsClient();
metrics.external.set('queue', [10_000]);
const client = RestClient.fromKubeconfig(join(server.dataDir, 'bench.kubeconfig'));
const manager = new ControllerManager({
  client,
  clock: new RealClock(),
  log: newLogger('bench-hpa'),
  table: [{ name: 'horizontalpodautoscaling', enabledByDefault: true, create: (ctx) => newHorizontalController(ctx, { metrics }) }],
  settings: { horizontalPodAutoscalerSyncPeriodMs: SYNC_MS },
});
try {
  await client.create({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default' }, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'work' },
    spec: { replicas: 1, selector: { matchLabels: { app: 'work' } }, template: { metadata: { labels: { app: 'work' } }, spec: { containers: [{ name: 'w', image: 'registry.k8s.io/pause:3.10' }] } } },
  });
  await client.create({ group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers', namespace: 'default' }, {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'work' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'work' },
      minReplicas: 1,
      maxReplicas: 20,
      metrics: [{ type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '10' } } }],
      behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
    },
  });
  await manager.start();
  const replicas = async (): Promise<number> => {
    const d = (await client.get({ group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default', name: 'work' })) as { spec?: { replicas?: number } };
    return d.spec?.replicas ?? 0;
  };
  const waitFor = async (want: number, limitMs: number): Promise<number> => {
    const start = Date.now();
    for (;;) {
      if ((await replicas()) === want) return Date.now() - start;
      if (Date.now() - start > limitMs) throw new Error(`Cannot benchmark the HPA: ${want} replicas not written within ${limitMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  // Settle: the first sync sees 10 / 10 = 1 replica.
  await new Promise((r) => setTimeout(r, SYNC_MS + 1000));
  const samples: number[] = [];
  let current = await replicas();
  for (let i = 0; i < TRIALS; i++) {
    await new Promise((r) => setTimeout(r, Math.random() * SYNC_MS));
    const want = i % 2 === 0 ? current + 1 : current - 1;
    metrics.external.set('queue', [want * 10_000]);
    samples.push(await waitFor(want, 3 * SYNC_MS));
    current = want;
  }
  const latency = summarizeLatencies(samples);
  console.log(
    JSON.stringify({
      bench: 'hpa-reaction',
      syncPeriodMs: SYNC_MS,
      trials: TRIALS,
      reactionMs: { p50: round(latency.p50), max: round(latency.max) },
      maxOverSyncPeriod: round(latency.max / SYNC_MS, 2),
    }),
  );
} finally {
  await manager.stop();
  client.close();
  await server.stop();
}
