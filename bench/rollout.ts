/**
 * Rollout benchmark (issue 5): a 1,000-replica Deployment applied with real kubectl to a server with simulated
 * nodes, timed until the Deployment reports every replica available, with the time split by component from the
 * pods' own timestamps (to the second, as the API records them):
 *   controllers — apply → the last pod created (Deployment → ReplicaSet → pods);
 *   scheduler   — per pod, created → PodScheduled (mean and the latest);
 *   agent       — per pod, scheduled → Ready (mean and the latest).
 * Run: node --import tsx bench/rollout.ts [--replicas 1000] [--nodes 50]
 * Prints one JSON line.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { round } from './latency-summary.js';
import { numberArg } from './bench-args.js';
import { ServerProcess } from './server-process.js';

const REPLICAS = numberArg('--replicas', 1000);
const NODES = numberArg('--nodes', 50);

function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')} exited ${code}: ${err}`))));
    child.stdin.end(input ?? '');
  });
}

const server = await ServerProcess.start({ withControllers: true, serverArgs: ['--simulated-nodes', String(NODES)], readyTimeoutMs: 120_000 });
try {
  const kubeconfig = join(server.dataDir, 'bench.kubeconfig');
  const agent = server.agent(4);
  const deadline = Date.now() + 120_000;
  // Wait for the simulated nodes to be registered before timing anything.
  for (;;) {
    const nodes = JSON.parse((await server.call(agent, 'GET', '/api/v1/nodes')).body.toString('utf8')) as { items: unknown[] };
    if (nodes.items.length >= NODES) break;
    if (Date.now() > deadline) throw new Error('Cannot benchmark the rollout: nodes did not register');
    await new Promise((r) => setTimeout(r, 200));
  }
  const manifest = join(server.dataDir, 'rollout.yaml');
  writeFileSync(
    manifest,
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: default}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: big}}
  template:
    metadata: {labels: {app: big}}
    spec: {containers: [{name: app, image: "registry.k8s.io/pause:3.10", resources: {requests: {cpu: 1m, memory: 1Mi}}}]}
`,
  );
  const applyAt = Date.now();
  await kubectl(kubeconfig, ['apply', '-f', manifest]);
  for (;;) {
    const d = JSON.parse((await server.call(agent, 'GET', '/apis/apps/v1/namespaces/default/deployments/big')).body.toString('utf8')) as { status?: { availableReplicas?: number } };
    if ((d.status?.availableReplicas ?? 0) >= REPLICAS) break;
    if (Date.now() - applyAt > 1_800_000) throw new Error('Cannot benchmark the rollout: not available within 30 min');
    await new Promise((r) => setTimeout(r, 100));
  }
  const doneAt = Date.now();
  const pods = JSON.parse((await server.call(agent, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dbig')).body.toString('utf8')) as {
    items: { metadata: { creationTimestamp: string }; status?: { conditions?: { type: string; lastTransitionTime?: string }[] } }[];
  };
  const at = (p: (typeof pods.items)[number], type: string): number => Date.parse(p.status?.conditions?.find((c) => c.type === type)?.lastTransitionTime ?? '') || NaN;
  const created = pods.items.map((p) => Date.parse(p.metadata.creationTimestamp));
  const scheduled = pods.items.map((p) => at(p, 'PodScheduled'));
  const ready = pods.items.map((p) => at(p, 'Ready'));
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const schedLag = pods.items.map((_, i) => (scheduled[i] ?? 0) - (created[i] ?? 0)).filter((x) => !Number.isNaN(x));
  const agentLag = pods.items.map((_, i) => (ready[i] ?? 0) - (scheduled[i] ?? 0)).filter((x) => !Number.isNaN(x));
  process.stdout.write(`${JSON.stringify({
    bench: 'rollout',
    replicas: REPLICAS,
    nodes: NODES,
    pods: pods.items.length,
    applyToAvailableSeconds: round((doneAt - applyAt) / 1000),
    controllersLastPodCreatedSeconds: round((Math.max(...created) - applyAt) / 1000),
    schedulerLagSeconds: { mean: round(mean(schedLag) / 1000), max: round(Math.max(...schedLag) / 1000) },
    agentLagSeconds: { mean: round(mean(agentLag) / 1000), max: round(Math.max(...agentLag) / 1000) },
    serverPeakRssMb: round(server.rssMegabytes('VmHWM')),
  })}\n`);
  agent.destroy();
} finally {
  await server.stop();
}
