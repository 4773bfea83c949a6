/**
 * ReplicationController and ReplicaSet on simulated nodes, with real kubectl: pods are created, scheduled onto
 * sim-* nodes and Running; `kubectl scale` grows the set; a deleted pod is replaced; adoption and release by
 * labels; `kubectl delete` cascades (background), `--cascade=orphan` leaves the pods without an owner.
 *
 * The server runs with `--components-process separate`: the controllers, the scheduler and the simulated nodes are
 * its child process (boot/components-process.ts), so every step above goes through that child. The last tests
 * SIGKILL the child (the server starts it again; a ReplicaSet still scales), then stop the server (no child is
 * left).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const RC = `apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 3
  selector: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`;

const RS = `apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: busybox:1.36
`;

interface PodJson {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string; controller?: boolean; blockOwnerDeletion?: boolean }[] };
  spec: { nodeName?: string };
  status: { phase?: string; podIP?: string; containerStatuses?: { ready: boolean; started: boolean }[] };
}

const SERVER_ARGS = ['--simulated-nodes', '3', '--components-process', 'separate'];

/** componentsChildOf finds the pid of the server's components process (its child running `server-components`). */
function componentsChildOf(serverPid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === serverPid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('server-components')) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

void describe('replication on simulated nodes', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ args: SERVER_ARGS });
  });

  after(async () => {
    await cluster?.stop();
  });

  async function pods(selector: string): Promise<PodJson[]> {
    const out = await cluster.kubectlOk(['get', 'pods', '-l', selector, '-o', 'json']);
    return (JSON.parse(out) as { items: PodJson[] }).items.filter((p) => !p.metadata.deletionTimestamp);
  }

  async function runningPods(selector: string, want: number): Promise<PodJson[]> {
    return eventually(async () => {
      const list = await pods(selector);
      const running = list.filter((p) => p.status.phase === 'Running');
      return list.length === want && running.length === want ? running : undefined;
    }, 30_000, 200);
  }

  void it('registers 3 Ready simulated nodes with leases', async () => {
    const out = await eventually(async () => {
      const o = await cluster.kubectlOk(['get', 'nodes']);
      return (o.match(/ Ready /g) ?? []).length === 3 ? o : undefined;
    });
    for (const n of ['sim-0', 'sim-1', 'sim-2']) assert.match(out, new RegExp(`^${n}\\s+Ready`, 'm'));
    const leases = await cluster.kubectlOk(['get', 'leases', '-n', 'kube-node-lease', '-o', 'name']);
    assert.match(leases, /lease.coordination.k8s.io\/sim-0/);
  });

  void it('an RC with 3 replicas runs 3 pods on sim nodes, scales to 5, replaces a deleted pod', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: RC });
    const three = await runningPods('app=web', 3);
    for (const p of three) {
      assert.match(p.spec.nodeName ?? '', /^sim-[0-2]$/);
      assert.match(p.status.podIP ?? '', /^10\.42\.\d+\.\d+$/);
      assert.deepEqual(p.status.containerStatuses?.map((c) => [c.ready, c.started]), [[true, true]]);
      const ref = p.metadata.ownerReferences?.[0];
      assert.equal(ref?.kind, 'ReplicationController');
      assert.equal(ref?.controller, true);
      assert.equal(ref?.blockOwnerDeletion, true);
    }
    // LeastAllocated spreads three equal pods over three empty nodes.
    assert.equal(new Set(three.map((p) => p.spec.nodeName)).size, 3);

    await cluster.kubectlOk(['scale', 'rc', 'web', '--replicas=5']);
    const five = await runningPods('app=web', 5);

    const victim = five[0]!.metadata.name;
    await cluster.kubectlOk(['delete', 'pod', victim, '--wait=true']);
    const after = await runningPods('app=web', 5);
    assert.ok(!after.some((p) => p.metadata.name === victim));

    const rc = await eventually(async () => {
      const o = JSON.parse(await cluster.kubectlOk(['get', 'rc', 'web', '-o', 'json'])) as { metadata: { generation: number }; status: Record<string, number> };
      return o.status['readyReplicas'] === 5 && o.status['availableReplicas'] === 5 ? o : undefined;
    });
    assert.equal(rc.status['replicas'], 5);
    assert.equal(rc.status['fullyLabeledReplicas'], 5);
    assert.equal(rc.status['observedGeneration'], rc.metadata.generation);

    const describe = await cluster.kubectlOk(['describe', 'rc', 'web']);
    assert.match(describe, /Normal\s+SuccessfulCreate\s+\S+\s+replication-controller\s+Created pod: web-/);
    assert.match(describe, /Pods Status:\s+5 Running/);
  });

  void it('releases a relabelled pod and adopts a matching orphan', async () => {
    const [first] = await runningPods('app=web', 5);
    const name = first!.metadata.name;
    await cluster.kubectlOk(['label', 'pod', name, 'app=stray', '--overwrite']);
    const released = await eventually(async () => {
      const p = JSON.parse(await cluster.kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;
      return (p.metadata.ownerReferences ?? []).length === 0 ? p : undefined;
    });
    assert.equal(released.metadata.labels?.['app'], 'stray');
    await runningPods('app=web', 5);
    // Back in: the RC adopts it and, now one too many, deletes one.
    await cluster.kubectlOk(['label', 'pod', name, 'app=web', '--overwrite']);
    await runningPods('app=web', 5);
  });

  void it('kubectl delete rc removes its pods (background cascade)', async () => {
    await cluster.kubectlOk(['delete', 'rc', 'web']);
    await eventually(async () => (await pods('app=web')).length === 0, 30_000, 200);
  });

  void it('a ReplicaSet deleted with --cascade=orphan leaves its pods, without owner', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: RS });
    await runningPods('app=api', 2);
    await cluster.kubectlOk(['delete', 'rs', 'api', '--cascade=orphan']);
    const left = await eventually(async () => {
      const list = await pods('app=api');
      return list.length === 2 && list.every((p) => (p.metadata.ownerReferences ?? []).length === 0) ? list : undefined;
    });
    assert.equal(left.length, 2);
    const rs = await cluster.kubectl(['get', 'rs', 'api']);
    assert.notEqual(rs.code, 0);
  });

  void it('a SIGKILLed components process is started again, and a ReplicaSet scales through the new one', async () => {
    const first = componentsChildOf(cluster.pid);
    assert.ok(first, 'the server runs a components process');
    process.kill(first, 'SIGKILL');
    const second = await eventually(() => {
      const pid = componentsChildOf(cluster.pid);
      return pid !== undefined && pid !== first ? pid : undefined;
    }, 30_000, 100);
    assert.ok(second);
    await cluster.kubectlOk(['apply', '-f', '-'], { input: RS.replace('name: api', 'name: again').replaceAll('app: api', 'app: again') });
    const running = await runningPods('app=again', 2);
    for (const p of running) assert.match(p.spec.nodeName ?? '', /^sim-[0-2]$/);
    await cluster.kubectlOk(['scale', 'rs', 'again', '--replicas=4']);
    await runningPods('app=again', 4);
    // The server's /metrics carries the child's controller and scheduler families.
    const prom = await cluster.kubectlOk(['get', '--raw', '/metrics']);
    assert.match(prom, /^workqueue_adds_total\{name="replicaset"\} [1-9]\d*$/m);
    assert.match(prom, /^scheduler_schedule_attempts_total\{result="scheduled"\} [1-9]\d*$/m);
  });

  void it('a stopped server leaves no components process behind', async () => {
    const child = componentsChildOf(cluster.pid);
    assert.ok(child);
    await cluster.kill('SIGTERM');
    // The server stops its child before it exits (a SIGKILLed server's child exits by itself: components-process.test.ts).
    assert.ok(!alive(child), 'the stopped server left its components process running');
  });
});
