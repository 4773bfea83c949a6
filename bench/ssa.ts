/**
 * Server-side apply benchmark: the p50 of one server-side apply against a JSON merge patch of the same object,
 * in the same run, through the full API (HTTPS, storage, watch cache).
 * Run: node --import tsx bench/ssa.ts [--rounds N]
 *
 * (a) a Deployment with 200 containers (~100 KiB of JSON);
 * (b) a ConfigMap of 1 MiB (1,000 keys of 1 KiB) standing in for a large custom resource.
 * Each write flips an image tag (or one value) so every request changes the object. Apply and merge patch
 * alternate round by round so machine noise hits both alike. Prints one JSON line.
 * Target: apply p50 ≤ 3 × merge patch p50 for each object.
 */
import type { Agent } from 'node:https';
import { round, summarizeLatencies } from './latency-summary.js';
import type { LatencySummary } from './latency-summary.js';
import { buildServerBundle } from './server-bundle.js';
import { ServerProcess } from './server-process.js';

const NAMESPACE = 'bench';
const CONTAINERS = 200;
const PER_ROUND = 30;
const WARMUP = 10;

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg >= 0 ? Number(process.argv[roundsArg + 1]) : 3;

function deployment(name: string, tag: number): Record<string, unknown> {
  const containers = Array.from({ length: CONTAINERS }, (_, i) => ({
    name: `c${i}`,
    image: `registry.example/app-${i}:${tag}`,
    args: ['--port', String(8000 + i)],
    env: [
      { name: 'MODE', value: 'bench' },
      { name: 'INDEX', value: String(i) },
    ],
    ports: [{ containerPort: 8000 + i, protocol: 'TCP' }],
    resources: { limits: { cpu: '100m', memory: '64Mi' } },
  }));
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NAMESPACE, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers } },
    },
  };
}

function configMap(name: string, tag: number): Record<string, unknown> {
  const data: Record<string, string> = {};
  for (let i = 0; i < 1000; i++) data[`key-${i}`] = (i === 0 ? String(tag) : '').padEnd(1024, 'x');
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: NAMESPACE }, data };
}

interface Target {
  readonly label: string;
  readonly path: (name: string) => string;
  readonly make: (name: string, tag: number) => Record<string, unknown>;
}

const TARGETS: readonly Target[] = [
  { label: 'deployment200', path: (n) => `/apis/apps/v1/namespaces/${NAMESPACE}/deployments/${n}`, make: deployment },
  { label: 'configMap1MiB', path: (n) => `/api/v1/namespaces/${NAMESPACE}/configmaps/${n}`, make: configMap },
];

await buildServerBundle();
const server = await ServerProcess.start();
try {
  const agent: Agent = server.agent(1);
  await server.createNamespace(agent, NAMESPACE);
  const results: Record<string, unknown> = {};
  for (const target of TARGETS) {
    let tag = 0;
    const write = async (kind: 'apply' | 'merge'): Promise<number> => {
      const name = `${target.label.toLowerCase()}-${kind}`;
      const body = JSON.stringify(target.make(name, tag++ % 2));
      const url = kind === 'apply' ? `${target.path(name)}?fieldManager=bench&force=true` : target.path(name);
      const type = kind === 'apply' ? 'application/apply-patch+yaml' : 'application/merge-patch+json';
      const started = performance.now();
      const reply = await server.call(agent, 'PATCH', url, body, { 'Content-Type': type });
      const ms = performance.now() - started;
      if (reply.status !== 200 && reply.status !== 201) {
        throw new Error(`Cannot ${kind} ${name}: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
      }
      return ms;
    };
    // The merge-patched object must exist first; apply creates its own.
    const mergeName = `${target.label.toLowerCase()}-merge`;
    const created = await server.call(agent, 'POST', target.path(mergeName).replace(/\/[^/]+$/, ''), JSON.stringify(target.make(mergeName, 1)));
    if (created.status !== 201) throw new Error(`Cannot create ${mergeName}: HTTP ${created.status} ${created.body.toString('utf8').slice(0, 300)}`);
    for (let i = 0; i < WARMUP; i++) {
      await write('apply');
      await write('merge');
    }
    const apply: number[] = [];
    const merge: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < PER_ROUND; i++) apply.push(await write('apply'));
      for (let i = 0; i < PER_ROUND; i++) merge.push(await write('merge'));
    }
    const a: LatencySummary = summarizeLatencies(apply);
    const m: LatencySummary = summarizeLatencies(merge);
    results[target.label] = { bodyBytes: JSON.stringify(target.make('x', 0)).length, applyMs: a, mergePatchMs: m, ratio: round(a.p50 / m.p50, 3) };
  }
  agent.destroy();
  process.stdout.write(`${JSON.stringify({ bench: 'ssa', rounds, perRound: PER_ROUND, ...results, serverRssMb: round(server.rssMegabytes()) })}\n`);
} finally {
  await server.stop();
}
