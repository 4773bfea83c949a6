/**
 * KubeDirector benchmark (issue 9): a KubeDirectorCluster of 3 roles × 5 members, from `kubectl create` (the real
 * kubectl) until all 15 members are Running, on a real runc node embedded in the server, and where the time goes:
 *   - operatorMs: create → the operator has made every object of the cluster (3 StatefulSets, the headless
 *     Service, 15 member Services, the configmeta ConfigMap), as seen on watches;
 *   - statusLagMs: the last member Running → the cluster's status says `configured`;
 *   - operatorShare: (operatorMs + statusLagMs) / create-to-configured;
 *   - reference, in the same run: the same objects written by hand — 3 plain StatefulSets of the same pods, the
 *     headless and 15 NodePort Services, a ConfigMap — in one `kubectl create` of a List: until all Services
 *     exist (plainObjectsMs, beside operatorMs) and until all pods are Running — the cluster without the operator.
 * Run (root, runc, busybox-static): node --import tsx bench/kubedirector.ts [--members 5]. Prints one JSON line.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeObject } from '../src/api/meta/types.js';
import { addExampleStandIns } from '../src/boot/images.js';
import type { ResourcePath } from '../src/client/resource-path.js';
import { RestClient } from '../src/client/rest-client.js';
import { numberArg } from './bench-args.js';
import { round } from './latency-summary.js';
import { cleanUpBenchNode } from './bench-node-cleanup.js';
import { ServerProcess } from './server-process.js';

const run = promisify(execFile);
const T0 = performance.now();
/** progress notes a phase on stderr (the JSON line stays alone on stdout). */
const progress = (m: string): void => void process.stderr.write(`[kubedirector bench +${Math.round((performance.now() - T0) / 1000)}s] ${m}\n`);
const MEMBERS = numberArg('--members', 5);
const ROLES = ['head', 'worker', 'edge'];
const BRIDGE = `tkd${process.pid % 1_000_000}`;
const CLUSTER_CIDR = '10.251.0.0/16';
const NODE_NAME = `bench-${process.pid}`;
const NFT_TABLE = `tkube-${NODE_NAME}`;
const NS = 'default';
const KD_HELLO_IMAGE = 'docker.io/tkube/kd-hello:1.0';
const REPO = join(new URL('.', import.meta.url).pathname, '..');

const app = {
  apiVersion: 'kubedirector.hpe.com/v1beta1',
  kind: 'KubeDirectorApp',
  metadata: { name: 'bench-app' },
  spec: {
    label: { name: 'Benchmark app' },
    distroID: 'tkube/bench',
    version: '1',
    configSchemaVersion: 8,
    defaultImageRepoTag: KD_HELLO_IMAGE,
    services: [{ id: 'api', endpoint: { urlScheme: 'http', port: 9090 } }],
    roles: ROLES.map((id) => ({ id, cardinality: '0+' })),
    config: { selectedRoles: ROLES, roleServices: ROLES.map((id) => ({ roleID: id, serviceIDs: ['api'] })) },
  },
};
const resources = { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } };
const cluster = { apiVersion: 'kubedirector.hpe.com/v1beta1', kind: 'KubeDirectorCluster', metadata: { name: 'bench' }, spec: { app: 'bench-app', roles: ROLES.map((id) => ({ id, members: MEMBERS, resources })) } };
/** The reference: the same pods as plain StatefulSets (same image, resources, policy), no operator. */
const plainSets = {
  apiVersion: 'v1',
  kind: 'List',
  items: [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'plain', labels: { bench: 'plain' } }, data: { 'configmeta.json': '{}' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'plain', labels: { bench: 'plain' } }, spec: { clusterIP: 'None', selector: { bench: 'plain' }, ports: [{ port: 9090 }] } },
    ...ROLES.flatMap((role) =>
      Array.from({ length: MEMBERS }, (_, i) => ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: `s-plain-${role}-${i}`, labels: { bench: 'plain' } },
        spec: { type: 'NodePort', selector: { 'statefulset.kubernetes.io/pod-name': `plain-${role}-${i}` }, ports: [{ name: 'api', port: 9090 }] },
      })),
    ),
    ...ROLES.map((role) => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: `plain-${role}`, labels: { bench: 'plain' } },
    spec: {
      replicas: MEMBERS,
      serviceName: 'plain',
      podManagementPolicy: 'Parallel',
      selector: { matchLabels: { bench: 'plain', role } },
      template: { metadata: { labels: { bench: 'plain', role } }, spec: { containers: [{ name: 'app', image: KD_HELLO_IMAGE, imagePullPolicy: 'IfNotPresent', resources, env: [{ name: 'KD_ROLE', value: role }] }] } },
    },
  })),
  ],
};

const PODS: ResourcePath = { version: 'v1', resource: 'pods', namespace: NS };

/** watchUntil follows a collection until `done` says so; resolves with the time of that event. */
async function watchUntil(client: RestClient, path: ResourcePath, labelSelector: string, done: (objs: Map<string, KubeObject>) => boolean, signal: AbortSignal): Promise<number> {
  const objs = new Map<string, KubeObject>();
  const listed = await client.list(path, { labelSelector });
  for (const o of listed.items) objs.set(o.metadata?.name ?? '', o);
  if (done(objs)) return performance.now();
  for await (const ev of client.watch(path, { resourceVersion: listed.metadata?.resourceVersion ?? '', labelSelector, signal })) {
    if (ev.type === 'BOOKMARK' || ev.type === 'ERROR') continue;
    const o = ev.object as KubeObject;
    const name = o.metadata?.name ?? '';
    if (ev.type === 'DELETED') objs.delete(name);
    else objs.set(name, o);
    if (done(objs)) return performance.now();
  }
  throw new Error(`watch of ${path.resource} ended early`);
}

const running = (want: number) => (pods: Map<string, KubeObject>): boolean => [...pods.values()].filter((p) => (p['status'] as { phase?: string } | undefined)?.phase === 'Running').length >= want;

const server = await ServerProcess.start({ withControllers: true, withNode: true, readyTimeoutMs: 120_000, serverArgs: ['--pod-bridge-name', BRIDGE, '--cluster-cidr', CLUSTER_CIDR] });
const result: Record<string, unknown> = { members: ROLES.length * MEMBERS };
try {
  const kubeconfig = join(server.dataDir, 'bench.kubeconfig');
  const kubectl = (args: string[], input?: string): Promise<string> => {
    const p = run('kubectl', ['--kubeconfig', kubeconfig, ...args], { maxBuffer: 1 << 24 });
    if (input !== undefined) p.child.stdin?.end(input);
    return p.then((r) => r.stdout);
  };
  const client = RestClient.fromKubeconfig(kubeconfig, { userAgent: 'bench-kubedirector' });
  for (const deadline = Date.now() + 60_000; ; ) {
    const node = await client.get({ version: 'v1', resource: 'nodes', name: NODE_NAME }).catch(() => undefined);
    if ((node as { status?: { conditions?: { type: string; status: string }[] } } | undefined)?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) break;
    if (Date.now() > deadline) throw new Error('the node did not become Ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  progress('node Ready');
  await addExampleStandIns(server.dataDir);
  await kubectl(['apply', '-f', join(REPO, 'examples', 'kubedirector', 'deploy.yaml')]);
  for (const deadline = Date.now() + 60_000; ; ) {
    if ((await client.get({ ...PODS, name: `kubedirector-${NODE_NAME}` }).catch(() => undefined)) !== undefined) break;
    if (Date.now() > deadline) throw new Error('the operator did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const total = ROLES.length * MEMBERS;

  progress('operator running');
  // Reference: plain StatefulSets.
  {
    const abort = new AbortController();
    const allRunning = watchUntil(client, PODS, 'bench=plain', running(total), abort.signal);
    const servicesMade = watchUntil(client, { version: 'v1', resource: 'services', namespace: NS }, 'bench=plain', (m) => m.size >= total + 1, abort.signal);
    const t0 = performance.now();
    await kubectl(['create', '-f', '-'], JSON.stringify(plainSets));
  progress('reference objects created');
    result['plainObjectsMs'] = round((await servicesMade) - t0);
    result['plainStatefulSetsToRunningMs'] = round((await allRunning) - t0);
  progress('reference pods Running');
    abort.abort();
    await kubectl(['delete', 'statefulsets,services,configmaps', '-l', 'bench=plain', '--wait=true']);
    const gone = new AbortController();
    await watchUntil(client, PODS, 'bench=plain', (m) => m.size === 0, gone.signal);
    gone.abort();
  }

  progress('reference deleted');
  // The KubeDirectorCluster.
  await kubectl(['create', '-f', '-'], JSON.stringify(app));
  const abort = new AbortController();
  const label = 'kubedirector.hpe.com/kdcluster=bench';
  const objectsMade = Promise.all([
    watchUntil(client, { group: 'apps', version: 'v1', resource: 'statefulsets', namespace: NS }, label, (m) => m.size >= ROLES.length, abort.signal),
    watchUntil(client, { version: 'v1', resource: 'services', namespace: NS }, label, (m) => m.size >= total + 1, abort.signal),
    watchUntil(client, { version: 'v1', resource: 'configmaps', namespace: NS }, label, (m) => m.size >= 1, abort.signal),
  ]);
  const allRunning = watchUntil(client, PODS, label, running(total), abort.signal);
  const configured = watchUntil(
    client,
    { group: 'kubedirector.hpe.com', version: 'v1beta1', resource: 'kubedirectorclusters', namespace: NS },
    '',
    (m) => (m.get('bench')?.['status'] as { state?: string } | undefined)?.state === 'configured',
    abort.signal,
  );
  const t0 = performance.now();
  await kubectl(['create', '-f', '-'], JSON.stringify(cluster));
  const made = await objectsMade;
  const tObjects = Math.max(...made);
  result['madeMs'] = { statefulSets: round(made[0] - t0), services: round(made[1] - t0), configMap: round(made[2] - t0) };
  progress('operator objects made');
  const tRunning = await allRunning;
  progress('members Running');
  const tConfigured = await configured;
  abort.abort();
  const toRunning = tRunning - t0;
  const toConfigured = tConfigured - t0;
  result['createToAllRunningMs'] = round(toRunning);
  result['createToConfiguredMs'] = round(toConfigured);
  result['operatorMs'] = round(tObjects - t0);
  result['statusLagMs'] = round(tConfigured - tRunning);
  result['operatorShare'] = round((tObjects - t0 + (tConfigured - tRunning)) / toConfigured, 2);
  result['overPlainStatefulSetsMs'] = round(toRunning - (result['plainStatefulSetsToRunningMs'] as number));
  await kubectl(['delete', 'kubedirectorcluster', 'bench', '--wait=true']);
  client.close();
} catch (err) {
  process.stderr.write(`kubedirector benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
} finally {
  if (process.env['KD_BENCH_DEBUG']) process.stderr.write(`${server.log.split('\n').filter((l) => /kubedirector|Reconcile/i.test(l)).join('\n')}\n`);
  await server.halt();
  await cleanUpBenchNode(server.dataDir, { bridge: BRIDGE, table: NFT_TABLE, podCidr: CLUSTER_CIDR });
  await server.stop();
}
if (process.exitCode === 1) process.exit(1);
process.stdout.write(`${JSON.stringify({ name: 'kubedirector', ...result })}\n`);
