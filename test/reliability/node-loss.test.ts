/**
 * Node loss (issue 11, item 9), with the node monitor's timing scaled down: `--node-monitor-grace-period 15s`
 * (upstream 40 s; the Lease is renewed every 10 s, so the grace must stay above that) and pods tolerating an
 * unreachable node for 6 s (upstream 300 s). Two `tkube agent` processes each run one simulated node; one is frozen
 * with SIGSTOP — a partitioned node: alive, but silent.
 *
 * - its Node turns Ready=Unknown once the grace period has passed since its last heartbeat (plus at most one 5 s
 *   monitor period) — measured from the last Lease renewal and from the SIGSTOP;
 * - its pods are evicted (deletionTimestamp set) when the unreachable NoExecute taint is 6 s old — measured;
 * - the ReplicaSet's replacements run on the other node;
 * - the StatefulSet's pod on the lost node is NOT replaced while the node is merely unreachable (its evicted pod
 *   stays Terminating: only its kubelet, a Node deletion or a force delete may remove it);
 * - after SIGCONT (the partition heals) the old pod is finalized and only then recreated: a pod watch over the
 *   whole run never holds two live pods (not yet DELETED) of one StatefulSet identity.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { AgentProcess } from '../harness/agent-process.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const GRACE_S = 15;
const TOLERATION_S = 6;
/** The node lifecycle controller looks at each node every 5 s. */
const MONITOR_PERIOD_S = 5;
const REPLICAS = 4;

interface PodJson {
  metadata: { name: string; uid: string; resourceVersion?: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status?: { phase?: string };
}
interface NodeJson {
  spec?: { taints?: { key: string; effect: string; timeAdded?: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}

/** IdentityWatch follows every pod of the namespace and counts, per StatefulSet identity, the pods not yet DELETED. */
class IdentityWatch {
  readonly live = new Map<string, Set<string>>();
  readonly violations: string[] = [];
  events = 0;
  #rv: string;
  #res: IncomingMessage | undefined;
  #closed = false;
  readonly #cluster: TestCluster;
  readonly #isIdentity: (name: string) => boolean;

  constructor(cluster: TestCluster, rv: string, isIdentity: (name: string) => boolean) {
    this.#cluster = cluster;
    this.#rv = rv;
    this.#isIdentity = isIdentity;
  }

  /** seed records the pods a list returned (the watch starts at that list's resourceVersion). */
  seed(pods: readonly PodJson[]): void {
    for (const p of pods) this.#apply('ADDED', p);
  }

  /** run watches from the last resourceVersion seen, opening the watch again whenever it ends. */
  async run(): Promise<void> {
    while (!this.#closed) {
      try {
        this.#res = await this.#cluster.stream(`/api/v1/namespaces/default/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${this.#rv}`);
        if (this.#res.statusCode !== 200) throw new Error(`watch answered ${this.#res.statusCode ?? 0}`);
        this.#res.setEncoding('utf8');
        let pending = '';
        for await (const chunk of this.#res) {
          pending += chunk as string;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (!line) continue;
            const e = JSON.parse(line) as { type: string; object: PodJson & { code?: number } };
            if (e.type === 'ERROR') throw new Error(`watch error ${e.object.code ?? 0}`);
            this.#rv = e.object.metadata.resourceVersion ?? this.#rv;
            if (e.type !== 'BOOKMARK') this.#apply(e.type, e.object);
          }
        }
      } catch (err) {
        if (!this.#closed) this.violations.push(`watch failed: ${String(err)}`);
        return;
      }
    }
  }

  #apply(type: string, pod: PodJson): void {
    this.events++;
    const name = pod.metadata.name;
    if (!this.#isIdentity(name)) return;
    const uids = this.live.get(name) ?? new Set<string>();
    this.live.set(name, uids);
    if (type === 'DELETED') uids.delete(pod.metadata.uid);
    else uids.add(pod.metadata.uid);
    if (uids.size > 1) this.violations.push(`two live pods of identity ${name}: ${[...uids].join(', ')}`);
  }

  close(): void {
    this.#closed = true;
    this.#res?.destroy();
  }
}

void describe('node loss: a partitioned node', { timeout: 240_000 }, () => {
  let c: TestCluster;
  const agents: AgentProcess[] = [];
  const token = randomBytes(16).toString('hex');
  const names = [`loss-a-${process.pid}`, `loss-b-${process.pid}`];

  before(async () => {
    c = await TestCluster.start({
      args: ['--token', token, '--node-monitor-grace-period', `${GRACE_S}s`, '--default-unreachable-toleration-seconds', String(TOLERATION_S), '--default-not-ready-toleration-seconds', String(TOLERATION_S)],
    });
  });
  after(async () => {
    // A frozen agent gets SIGCONT before it is stopped (AgentProcess.stop sends it).
    for (const a of agents) await a.stop();
    await c?.stop();
  });

  const get = async <T>(path: string): Promise<T> => {
    const r = await c.request(path);
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 300)}`);
    return JSON.parse(r.body) as T;
  };
  const pods = async (): Promise<{ items: PodJson[]; metadata: { resourceVersion: string } }> => get('/api/v1/namespaces/default/pods');
  const ready = async (node: string): Promise<string | undefined> => (await get<NodeJson>(`/api/v1/nodes/${node}`)).status?.conditions?.find((x) => x.type === 'Ready')?.status;
  const leaseRenewed = async (node: string): Promise<number> =>
    Date.parse((await get<{ spec?: { renewTime?: string } }>(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`)).spec?.renewTime ?? '');
  const spread = { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' };

  void it(`marks the silent node Unknown after the grace, evicts after the toleration, never doubles a StatefulSet identity`, async (t) => {
    for (const name of names) {
      const a = new AgentProcess(['--runtime', 'simulated', '--nodes', '1', '--node-name', name, '--server', c.url, '--token', token, '--ca-file', `${c.dataDir}/tls/ca.crt`, '--disable-apiserver-lb']);
      agents.push(a);
    }
    for (const name of names) {
      await eventually(async () => {
        const dead = agents.find((a) => a.exited);
        if (dead) throw new Error(`agent exited with ${dead.exited}:\n${dead.log.slice(-3000)}`);
        return (await ready(name).catch(() => undefined)) === 'True';
      }, 60_000);
    }
    const template = (app: string): unknown => ({
      metadata: { labels: { app } },
      spec: { terminationGracePeriodSeconds: 1, topologySpreadConstraints: [{ ...spread, labelSelector: { matchLabels: { app } } }], containers: [{ name: 'c', image: 'busybox', command: ['sleep', '36000'] }] },
    });
    const objects = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web', namespace: 'default' }, spec: { replicas: REPLICAS, selector: { matchLabels: { app: 'web' } }, template: template('web') } },
      { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' }, spec: { replicas: 2, serviceName: 'db', podManagementPolicy: 'Parallel', selector: { matchLabels: { app: 'db' } }, template: template('db') } },
    ];
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
    const running = await eventually(async () => {
      const items = (await pods()).items;
      return items.length === REPLICAS + 2 && items.every((p) => p.status?.phase === 'Running') ? items : undefined;
    }, 60_000);
    const isIdentity = (name: string): boolean => /^db-\d+$/.test(name);
    const list = await pods();
    const watch = new IdentityWatch(c, list.metadata.resourceVersion, isIdentity);
    watch.seed(list.items);
    const watching = watch.run();

    // The victim is the node of db-0; it must hold ReplicaSet pods too (the spread constraint puts two there).
    const db0 = running.find((p) => p.metadata.name === 'db-0');
    const victim = db0?.spec.nodeName ?? '';
    const survivor = names.find((n) => n !== victim) ?? '';
    const victimAgent = agents[names.indexOf(victim)];
    assert.ok(victimAgent && survivor, `db-0 runs on ${victim}`);
    const doomed = running.filter((p) => p.spec.nodeName === victim && p.metadata.labels?.app === 'web').map((p) => p.metadata.uid);
    assert.ok(doomed.length > 0, `no ReplicaSet pod on ${victim}: ${running.map((p) => `${p.metadata.name}@${p.spec.nodeName ?? ''}`).join(' ')}`);

    const figures: Record<string, string | number> = {};
    const report = (): void => {
      const line = `node-loss: grace=${GRACE_S}s toleration=${TOLERATION_S}s ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')} identityViolations=${watch.violations.length} podEvents=${watch.events}`;
      t.diagnostic(line);
      console.log(`# ${line}`);
    };
    try {
      const lastRenewBefore = await leaseRenewed(victim);
      victimAgent.signal('SIGSTOP');
      const stoppedAt = Date.now();

      await eventually(async () => (await ready(victim)) === 'Unknown', (GRACE_S + MONITOR_PERIOD_S + 15) * 1_000, 100);
      const unknownAt = Date.now();
      const lastRenew = await leaseRenewed(victim);
      assert.equal(lastRenew, lastRenewBefore, 'the frozen agent renewed its Lease');
      figures.unknownAfterStopS = ((unknownAt - stoppedAt) / 1000).toFixed(1);
      figures.unknownAfterLastHeartbeatS = ((unknownAt - lastRenew) / 1000).toFixed(1);
      // Silent longer than the grace, and noticed within one monitor period (plus polling and load margin).
      assert.ok(unknownAt - lastRenew >= GRACE_S * 1000 - 500, `Unknown ${unknownAt - lastRenew} ms after the last heartbeat`);
      assert.ok(unknownAt - lastRenew <= (GRACE_S + MONITOR_PERIOD_S + 5) * 1000, `Unknown ${unknownAt - lastRenew} ms after the last heartbeat`);

      const taint = await eventually(async () => (await get<NodeJson>(`/api/v1/nodes/${victim}`)).spec?.taints?.find((x) => x.key === 'node.kubernetes.io/unreachable' && x.effect === 'NoExecute'), 20_000, 100);
      const taintedAt = Date.parse(taint.timeAdded ?? '');
      await eventually(async () => (await pods()).items.some((p) => doomed.includes(p.metadata.uid) && p.metadata.deletionTimestamp), (TOLERATION_S + 20) * 1000, 100);
      const evictedAt = Date.now();
      figures.evictedAfterTaintS = ((evictedAt - taintedAt) / 1000).toFixed(1);
      figures.evictedAfterStopS = ((evictedAt - stoppedAt) / 1000).toFixed(1);
      assert.ok(evictedAt - taintedAt >= TOLERATION_S * 1000 - 500, `evicted ${evictedAt - taintedAt} ms after the taint`);
      assert.ok(evictedAt - taintedAt <= (TOLERATION_S + 5) * 1000, `evicted ${evictedAt - taintedAt} ms after the taint`);

      // Replacements run on the survivor; the evicted pods stay Terminating (their kubelet is frozen).
      await eventually(async () => {
        const web = (await pods()).items.filter((p) => p.metadata.labels?.app === 'web' && !p.metadata.deletionTimestamp);
        return web.length === REPLICAS && web.every((p) => p.spec.nodeName === survivor && p.status?.phase === 'Running');
      }, 30_000, 100);
      figures.replacementsRunningAfterStopS = ((Date.now() - stoppedAt) / 1000).toFixed(1);

      // The StatefulSet's pod on the lost node is evicted but not replaced while the node is unreachable.
      await new Promise((r) => setTimeout(r, 3_000));
      const stuck = (await pods()).items.find((p) => p.metadata.name === 'db-0');
      assert.equal(stuck?.metadata.uid, db0?.metadata.uid, 'db-0 was replaced while its node was unreachable');
      assert.ok(stuck?.metadata.deletionTimestamp, 'db-0 was not evicted');

      // The partition heals: the node reports again, finalizes its evicted pods, and only then is db-0 recreated.
      victimAgent.signal('SIGCONT');
      const healedAt = Date.now();
      await eventually(async () => (await ready(victim)) === 'True', 30_000, 100);
      figures.readyAfterHealS = ((Date.now() - healedAt) / 1000).toFixed(1);
      await eventually(async () => {
        const items = (await pods()).items;
        const db = items.filter((p) => isIdentity(p.metadata.name));
        const web = items.filter((p) => p.metadata.labels?.app === 'web');
        const newDb0 = db.find((p) => p.metadata.name === 'db-0');
        return newDb0 && newDb0.metadata.uid !== db0?.metadata.uid && db.length === 2 && web.length === REPLICAS && items.every((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
      }, 60_000, 100);
      figures.db0RecreatedAfterHealS = ((Date.now() - healedAt) / 1000).toFixed(1);
      // Let the watch catch up with the last events before judging it.
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      watch.close();
      await watching;
      report();
    }
    assert.deepEqual(watch.violations, []);
    assert.ok(watch.events > REPLICAS + 2, 'the watch saw the run');
  });
});
