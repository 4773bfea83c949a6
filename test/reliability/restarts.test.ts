/**
 * Restarts (issue 11, item 8): a server and a separate `tkube agent --runtime process` run a ReplicaSet; the server
 * and then the agent are killed with SIGKILL and started again, several times each. After every restart:
 *
 * - the server answers `/readyz` 200 (time from the kill measured; the issue asks ≤ 5 s);
 * - no container restarted: every pod keeps its containerID, its start time and a restartCount of 0, and the
 *   process runtime's container processes are the same pids, still alive;
 * - no pod was created or deleted: the ReplicaSet's pod UIDs are the same set all along (sampled during the whole
 *   run, not only after each restart), and the count is the desired one.
 *
 * The agent's informers must resume their watches after a server restart rather than list again; the agent logs
 * each relist ("listing again", only after a 410), and their number is printed.
 *
 * Bounded: 10 pods, 3 server kills, 3 agent kills. Long (`TKUBE_LONG=1`): 100 pods, 20 + 20.
 * The process runtime needs no root; only busybox-static for the built-in image.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_PATH } from '../../src/agent/images/builtin-images.js';
import { freePort } from '../../src/base/net/free-port.js';
import { AgentProcess } from '../harness/agent-process.js';
import { eventually, TestCluster, writeAirGappedRegistries } from '../harness/test-cluster.js';
import { processAlive } from '../harness/host-tools.js';

const skip = existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static';
const LONG = process.env.TKUBE_LONG === '1';
const PODS = LONG ? 100 : 10;
const SERVER_KILLS = LONG ? 20 : 3;
const AGENT_KILLS = LONG ? 20 : 3;

interface ContainerStatus {
  containerID?: string;
  restartCount: number;
  state: { running?: { startedAt: string } };
}
interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string }[] };
  spec: { nodeName?: string };
  status?: { phase?: string; containerStatuses?: ContainerStatus[] };
}

/** PodRecord is what must not change about a pod across restarts. */
interface PodRecord {
  readonly uid: string;
  readonly containerID: string;
  readonly startedAt: string;
  readonly pid: number;
}

const alive = processAlive;

void describe('restarts of the server and the agent under running pods', { skip, timeout: LONG ? 3_600_000 : 240_000 }, () => {
  let c: TestCluster;
  let agent: AgentProcess | undefined;
  let port = 0;
  const token = randomBytes(16).toString('hex');
  const node = `tkube-restarts-${process.pid}`;
  const agentDir = mkdtempSync(join(tmpdir(), 'tkube-restarts-agent-'));
  const containersDir = join(agentDir, 'agent', 'process', 'containers');
  const serverArgs = (): string[] => ['--token', token, '--https-listen-port', String(port)];
  const agentArgs = (): string[] => [
    '--runtime', 'process', '--server', `https://127.0.0.1:${port}`, '--token', token, '--ca-file', join(c.dataDir, 'tls', 'ca.crt'),
    '--node-name', node, '--node-ip', '127.0.0.1', '--data-dir', agentDir, '--kubelet-port', '0', '--proxy-mode', 'none',
    '--disable-default-registry-endpoint', '--disable-apiserver-lb', '--certificate-timeout', '60',
  ];
  /** A JSON file of the runtime's container records, by container ID (the main pid, the supervisor's pid). */
  const record = (id: string, file: string): unknown => {
    try {
      return JSON.parse(readFileSync(join(containersDir, id, file), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  };
  const runtimeIds = (): string[] => (existsSync(containersDir) ? readdirSync(containersDir) : []);
  const containerPid = (id: string): number => (record(id, 'pid') as { pid?: number } | undefined)?.pid ?? -1;

  before(async () => {
    // A fixed port across restarts: the agent's --server must keep pointing at the server.
    port = await freePort();
    c = await TestCluster.start({ args: serverArgs() });
    writeAirGappedRegistries(agentDir);
  });
  after(async () => {
    if (c) await c.kubectl(['delete', 'replicaset', '--all', '--cascade=foreground', '--wait=true', '--timeout=60s']);
    if (c) await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    const ids = runtimeIds();
    const groups = ids.map(containerPid).filter((p) => p > 0);
    const supervisors = ids.map((id) => (record(id, 'container.json') as { supervisor?: { pid: number } } | undefined)?.supervisor?.pid ?? -1).filter((p) => p > 0);
    await agent?.stop();
    await c?.stop();
    // Whatever the kubelet could not stop: each container's process group, then its supervisor, by pid.
    for (const pid of groups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    for (const pid of supervisors) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(agentDir, { recursive: true, force: true });
  });

  const rsPods = async (): Promise<PodJson[]> => {
    const r = await c.request('/api/v1/namespaces/default/pods?labelSelector=app%3Dsteady');
    if (r.status !== 200) throw new Error(`list pods: ${r.status} ${r.body.slice(0, 300)}`);
    return (JSON.parse(r.body) as { items: PodJson[] }).items;
  };
  const startAgent = async (): Promise<void> => {
    agent = new AgentProcess(agentArgs());
    await eventually(() => {
      if (agent?.exited) throw new Error(`agent exited with ${agent.exited}:\n${agent.log.slice(-3000)}`);
      return true;
    }, 1_000);
  };
  const leaseRenewed = async (afterMs: number): Promise<boolean> => {
    const r = await c.request(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`);
    if (r.status !== 200) return false;
    return Date.parse((JSON.parse(r.body) as { spec?: { renewTime?: string } }).spec?.renewTime ?? '') >= afterMs - 1_000;
  };

  void it(`keeps ${PODS} pods unrestarted through ${SERVER_KILLS} server and ${AGENT_KILLS} agent kill -9s`, async (t) => {
    await startAgent();
    await eventually(async () => /\sReady\s/.test((await c.kubectl(['get', 'node', node])).stdout), 60_000);
    const rs = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'steady', namespace: 'default' },
      spec: {
        replicas: PODS, selector: { matchLabels: { app: 'steady' } },
        template: { metadata: { labels: { app: 'steady' } }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sleep', '36000'] }] } },
      },
    };
    await c.kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(rs) });
    const initial = await eventually(async () => {
      const items = await rsPods();
      return items.length === PODS && items.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state.running) ? items : undefined;
    }, LONG ? 600_000 : 120_000);
    const want = new Map<string, PodRecord>();
    for (const p of initial) {
      const s = p.status?.containerStatuses?.[0];
      const containerID = s?.containerID ?? '';
      const pid = containerPid(containerID.replace(/^process:\/\//, ''));
      assert.ok(pid > 0 && alive(pid), `${p.metadata.name}: its container process ${pid} runs (${containerID}; runtime holds ${runtimeIds().join()})`);
      want.set(p.metadata.name, { uid: p.metadata.uid, containerID, startedAt: s?.state.running?.startedAt ?? '', pid });
    }
    const uids = new Set([...want.values()].map((r) => r.uid));

    // Sample the ReplicaSet's pods during the whole run: any UID not in the first set was created, any missing one
    // deleted (while the server is down the samples fail and are skipped).
    const created = new Set<string>();
    const deleted = new Set<string>();
    let samples = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const items = await rsPods();
          samples++;
          const seen = new Set(items.map((p) => p.metadata.uid));
          for (const p of items) if (!uids.has(p.metadata.uid) || p.metadata.deletionTimestamp) created.add(`${p.metadata.name}/${p.metadata.uid}`);
          for (const uid of uids) if (!seen.has(uid)) deleted.add(uid);
        } catch {
          // The server is down: nothing to sample.
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    /** check asserts nothing about the pods changed, waiting (bounded) for the agent's reports to settle. */
    const check = async (what: string): Promise<void> => {
      const items = await eventually(async () => {
        const list = await rsPods();
        return list.length === PODS && list.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state.running) ? list : undefined;
      }, 60_000);
      for (const p of items) {
        const w = want.get(p.metadata.name);
        assert.ok(w, `${what}: pod ${p.metadata.name} is new`);
        const s = p.status?.containerStatuses?.[0];
        assert.equal(p.metadata.uid, w.uid, `${what}: ${p.metadata.name} was recreated`);
        assert.equal(s?.restartCount, 0, `${what}: ${p.metadata.name} was restarted`);
        assert.equal(s?.containerID, w.containerID, `${what}: ${p.metadata.name} got a new container`);
        assert.equal(s?.state.running?.startedAt, w.startedAt, `${what}: ${p.metadata.name}'s container start time changed`);
        assert.ok(alive(w.pid), `${what}: ${p.metadata.name}'s process ${w.pid} is gone`);
      }
      assert.equal(runtimeIds().length, PODS, `${what}: the runtime holds ${runtimeIds().length} containers, not ${PODS}`);
    };

    const readyz: number[] = [];
    let relists = 0;
    const countRelists = (): number => (agent?.log.match(/listing again/g) ?? []).length;
    const agentBack: number[] = [];
    try {
      for (let i = 0; i < SERVER_KILLS; i++) {
        const t0 = Date.now();
        await c.restart('SIGKILL', { args: serverArgs() });
        await eventually(async () => (await c.request('/readyz').catch(() => ({ status: 0 }))).status === 200, 60_000, 25);
        readyz.push(Date.now() - t0);
        await check(`server kill ${i + 1}`);
      }
      for (let i = 0; i < AGENT_KILLS; i++) {
        const t0 = Date.now();
        relists += countRelists();
        await agent?.kill();
        await startAgent();
        // The new agent is back once its Lease is renewed after the kill; then its pods must still be the same.
        await eventually(() => leaseRenewed(t0 + 1_000), 60_000, 100);
        agentBack.push(Date.now() - t0);
        await check(`agent kill ${i + 1}`);
      }
      // Let the last agent's pod workers run a few syncs, then check once more.
      await new Promise((r) => setTimeout(r, 3_000));
      await check('the end');
    } finally {
      sampling = false;
      await sampler;
      relists += countRelists();
      const max = (xs: number[]): number => (xs.length > 0 ? Math.max(...xs) : 0);
      const figures =
        `restarts: pods=${PODS} serverKills=${readyz.length}/${SERVER_KILLS} agentKills=${agentBack.length}/${AGENT_KILLS} readyzMaxMs=${max(readyz)} readyzMs=${readyz.join(',')} ` +
          `agentBackMaxMs=${max(agentBack)} created=${created.size} deleted=${deleted.size} samples=${samples} agentRelists=${relists}`;
      t.diagnostic(figures);
      console.log(`# ${figures}`);
    }
    assert.deepEqual([...created], [], 'pods created (or deleted) during the run');
    assert.deepEqual([...deleted], [], 'pods deleted during the run');
    assert.ok(samples > 0);
  });
});
