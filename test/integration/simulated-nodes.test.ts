/**
 * `tkube agent --runtime simulated` as its own process against a running server: it registers nodes with
 * capacity, labels and taints, keeps their Leases fresh, runs the pods scheduled onto them and finishes pods
 * deleted from them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster, tkubeArgv } from '../harness/test-cluster.js';

interface NodeJson {
  metadata: { name: string; labels: Record<string, string> };
  spec: { podCIDR?: string; taints?: { key: string; value?: string; effect: string }[] };
  status: { allocatable: Record<string, string>; conditions: { type: string; status: string }[]; addresses: { type: string; address: string }[] };
}

void describe('tkube agent with the simulated runtime', () => {
  let cluster: TestCluster;
  let agent: ChildProcess | undefined;
  let agentLog = '';

  before(async () => {
    cluster = await TestCluster.start();
    agent = spawn(
      process.execPath,
      [
        ...tkubeArgv(), 'agent', '--kubeconfig', cluster.kubeconfig, '--runtime', 'simulated',
        '--nodes', '2', '--name-prefix', 'edge-', '--node-cpu', '2', '--node-memory', '4Gi', '--node-pods', '20',
        '--node-label', 'zone=edge', '--node-taint', 'edge=true:NoSchedule',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.setEncoding('utf8').on('data', (d: string) => (agentLog += d));
    agent.stderr?.setEncoding('utf8').on('data', (d: string) => (agentLog = (agentLog + d).slice(-20_000)));
  });

  after(async () => {
    if (agent && agent.exitCode === null && agent.signalCode === null) {
      const exited = new Promise((r) => agent?.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL');
    }
    await cluster?.stop();
  });

  void it('registers Ready nodes with the requested capacity, labels, taints and a pod CIDR', async () => {
    const nodes = await eventually(async () => {
      const list = (JSON.parse(await cluster.kubectlOk(['get', 'nodes', '-o', 'json'])) as { items: NodeJson[] }).items;
      return list.length === 2 ? list : undefined;
    }, 30_000, 200).catch((err: unknown) => assert.fail(`${String(err)}\nagent log:\n${agentLog}`));
    for (const n of nodes) {
      assert.match(n.metadata.name, /^edge-[01]$/);
      assert.equal(n.metadata.labels['zone'], 'edge');
      assert.equal(n.metadata.labels['kubernetes.io/hostname'], n.metadata.name);
      assert.deepEqual(n.spec.taints, [{ key: 'edge', value: 'true', effect: 'NoSchedule' }]);
      assert.equal(n.status.allocatable['cpu'], '2');
      assert.equal(n.status.allocatable['pods'], '20');
      assert.equal(n.status.conditions.find((c) => c.type === 'Ready')?.status, 'True');
      assert.match(n.spec.podCIDR ?? '', /^10\.42\.\d+\.0\/24$/);
      assert.ok(n.status.addresses.some((a) => a.type === 'InternalIP'));
    }
    const wide = await cluster.kubectlOk(['get', 'nodes', '-o', 'wide']);
    assert.match(wide, /edge-0\s+Ready/);
  });

  void it('keeps a Lease per node in kube-node-lease, owned by the Node', async () => {
    const lease = JSON.parse(await cluster.kubectlOk(['get', 'lease', 'edge-0', '-n', 'kube-node-lease', '-o', 'json'])) as {
      metadata: { ownerReferences: { kind: string; name: string }[] };
      spec: { holderIdentity: string; leaseDurationSeconds: number; renewTime: string };
    };
    assert.equal(lease.spec.holderIdentity, 'edge-0');
    assert.equal(lease.spec.leaseDurationSeconds, 40);
    assert.match(lease.spec.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.deepEqual(lease.metadata.ownerReferences.map((r) => [r.kind, r.name]), [['Node', 'edge-0']]);
  });

  void it('runs a tolerating pod: Running with a pod IP from the node range, then finishes it on delete', async () => {
    await cluster.kubectlOk(['run', 'edge-pod', '--image=nginx:1.27', '--overrides', JSON.stringify({ spec: { tolerations: [{ key: 'edge', operator: 'Exists' }] } })]);
    const pod = await eventually(async () => {
      const p = JSON.parse(await cluster.kubectlOk(['get', 'pod', 'edge-pod', '-o', 'json'])) as {
        spec: { nodeName?: string };
        status: { phase: string; podIP?: string; hostIP?: string; startTime?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { state: { running?: unknown }; containerID: string }[] };
      };
      return p.status.phase === 'Running' ? p : undefined;
    }, 30_000, 200);
    assert.match(pod.spec.nodeName ?? '', /^edge-/);
    const node = JSON.parse(await cluster.kubectlOk(['get', 'node', pod.spec.nodeName ?? '', '-o', 'json'])) as NodeJson;
    const prefix = (node.spec.podCIDR ?? '').replace(/\.0\/24$/, '.');
    assert.ok(pod.status.podIP?.startsWith(prefix), `${pod.status.podIP} in ${node.spec.podCIDR}`);
    assert.equal(pod.status.hostIP, node.status.addresses.find((a) => a.type === 'InternalIP')?.address);
    assert.ok(pod.status.startTime);
    assert.deepEqual(
      ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((t) => pod.status.conditions?.find((c) => c.type === t)?.status),
      ['True', 'True', 'True', 'True'],
    );
    assert.ok(pod.status.containerStatuses?.[0]?.state.running);
    assert.match(pod.status.containerStatuses?.[0]?.containerID ?? '', /^simulated:\/\//);
    // A simulated node serves no kubelet endpoint: logs answer at once instead of dialling a made-up address.
    const logs = await cluster.kubectl(['logs', 'edge-pod']);
    assert.match(logs.stderr, /Error from server \(ServiceUnavailable\): node "edge-\d+" is simulated: its pods have no logs/);
    await cluster.kubectlOk(['delete', 'pod', 'edge-pod', '--timeout=20s']);
    assert.notEqual((await cluster.kubectl(['get', 'pod', 'edge-pod'])).code, 0);
  });

  void it('a pod asked to exit (restartPolicy Never) ends Succeeded, or Failed with a non-zero code', async () => {
    const overrides = JSON.stringify({ spec: { tolerations: [{ key: 'edge', operator: 'Exists' }] } });
    await cluster.kubectlOk(['run', 'done-ok', '--image=busybox:1.36', '--restart=Never', '--annotations=sim.tkube.io/exit-after=1s', '--overrides', overrides]);
    await cluster.kubectlOk(['run', 'done-bad', '--image=busybox:1.36', '--restart=Never', '--annotations=sim.tkube.io/exit-after=1s', '--annotations=sim.tkube.io/exit-code=3', '--overrides', overrides]);
    const phases = await eventually(async () => {
      const out = await cluster.kubectlOk(['get', 'pods', 'done-ok', 'done-bad', '-o', 'jsonpath={.items[*].status.phase}']);
      return out === 'Succeeded Failed' ? out : undefined;
    }, 30_000, 200);
    assert.equal(phases, 'Succeeded Failed');
    const bad = JSON.parse(await cluster.kubectlOk(['get', 'pod', 'done-bad', '-o', 'json'])) as {
      status: { containerStatuses: { ready: boolean; state: { terminated?: { exitCode: number; reason: string } } }[] };
    };
    assert.deepEqual(bad.status.containerStatuses[0]?.state.terminated && [bad.status.containerStatuses[0].state.terminated.exitCode, bad.status.containerStatuses[0].state.terminated.reason], [3, 'Error']);
    assert.equal(bad.status.containerStatuses[0]?.ready, false);
    const table = await cluster.kubectlOk(['get', 'pod', 'done-ok']);
    assert.match(table, /done-ok\s+0\/1\s+Completed/);
  });
});

void describe('simulated nodes across a server restart', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
  });

  after(async () => {
    await cluster?.stop();
  });

  void it('nodes re-register, running pods keep their IPs, new pods get fresh ones', async () => {
    await cluster.kubectlOk(['run', 'before', '--image=nginx:1.27']);
    const ipOf = async (name: string): Promise<string> =>
      eventually(async () => {
        const p = JSON.parse(await cluster.kubectlOk(['get', 'pod', name, '-o', 'json'])) as { spec: { nodeName?: string }; status: { phase: string; podIP?: string } };
        return p.status.phase === 'Running' ? `${p.spec.nodeName ?? ''} ${p.status.podIP ?? ''}` : undefined;
      }, 30_000, 200);
    const before = await ipOf('before');
    await cluster.restart('SIGTERM', { args: ['--simulated-nodes', '2'] });
    await eventually(async () => ((await cluster.kubectlOk(['get', 'nodes'])).match(/ Ready /g) ?? []).length === 2);
    assert.equal(await ipOf('before'), before);
    // Pin the new pod next to the old one: the agent must not hand out the old pod's address again.
    const node = before.split(' ')[0] ?? '';
    await cluster.kubectlOk(['run', 'after', '--image=nginx:1.27', '--overrides', JSON.stringify({ spec: { nodeSelector: { 'kubernetes.io/hostname': node } } })]);
    const after = await ipOf('after');
    assert.equal(after.split(' ')[0], node);
    assert.notEqual(after.split(' ')[1], before.split(' ')[1]);
  });
});
