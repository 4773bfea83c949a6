/**
 * The scheduler against a real server with 3 simulated nodes, through real kubectl: a pod too big for any node
 * stays Pending and `kubectl describe pod` shows upstream's FailedScheduling message; taints and nodeSelector
 * are honoured; removing a taint lets a parked pod schedule; every decision is explained in the
 * `scheduler.tkube.io/explanation` annotation of its `Scheduled` or `FailedScheduling` Event (not on the pod).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

function podYaml(name: string, extra: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
${extra}  containers:
  - name: main
    image: busybox:1.36
`;
}

interface Explanation {
  result: string;
  node?: string;
  message: string;
  nodes: Record<string, { filter?: string; reasons?: string[]; score?: number }>;
}

interface PodJson {
  metadata: { annotations?: Record<string, string> };
  spec: { nodeName?: string };
  status: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

void describe('scheduler on simulated nodes', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ args: ['--simulated-nodes', '3'] });
    await eventually(async () => ((await cluster.kubectlOk(['get', 'nodes'])).match(/ Ready /g) ?? []).length === 3);
    await cluster.kubectlOk(['taint', 'nodes', 'sim-0', 'dedicated=db:NoSchedule']);
    await cluster.kubectlOk(['label', 'nodes', 'sim-1', 'disk=ssd']);
  });

  after(async () => {
    await cluster?.stop();
  });

  async function pod(name: string): Promise<PodJson> {
    return JSON.parse(await cluster.kubectlOk(['get', 'pod', name, '-o', 'json'])) as PodJson;
  }

  /** explanation reads the explanation on the pod's latest `reason` Event (undefined until there is one). */
  async function explanation(name: string, reason: string): Promise<Explanation | undefined> {
    const out = await cluster.kubectlOk(['get', 'events', '--field-selector', `involvedObject.name=${name},reason=${reason}`, '-o', 'json']);
    const events = (JSON.parse(out) as { items: { metadata: { resourceVersion?: string; annotations?: Record<string, string> } }[] }).items;
    const latest = events.sort((a, b) => Number(b.metadata.resourceVersion ?? 0) - Number(a.metadata.resourceVersion ?? 0))[0];
    const raw = latest?.metadata.annotations?.['scheduler.tkube.io/explanation'];
    return raw ? (JSON.parse(raw) as Explanation) : undefined;
  }

  async function runningOn(name: string): Promise<string> {
    return eventually(async () => {
      const p = await pod(name);
      return p.status.phase === 'Running' ? (p.spec.nodeName ?? '') : undefined;
    }, 20_000, 100);
  }

  void it('a pod too big for any node stays Pending with the FailedScheduling message', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: podYaml('huge', '').replace('image: busybox:1.36', 'image: busybox:1.36\n    resources:\n      requests: {cpu: "100"}') });
    const want =
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 Insufficient cpu. ' +
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    const described = await eventually(async () => {
      const out = await cluster.kubectlOk(['describe', 'pod', 'huge']);
      return out.includes('FailedScheduling') ? out : undefined;
    });
    assert.match(described, /Status:\s+Pending/);
    assert.match(described, /Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+0\/3 nodes are available/);
    assert.ok(described.replace(/\s+/g, ' ').includes(want), described);
    const p = await eventually(async () => {
      const x = await pod('huge');
      return x.status.conditions?.some((c) => c.type === 'PodScheduled') ? x : undefined;
    });
    const cond = p.status.conditions?.find((c) => c.type === 'PodScheduled');
    assert.equal(cond?.status, 'False');
    assert.equal(cond?.reason, 'Unschedulable');
    assert.equal(cond?.message, want);
    // The explanation rides the FailedScheduling Event; the pod carries none.
    const why = await eventually(() => explanation('huge', 'FailedScheduling'));
    assert.equal(why.result, 'Unschedulable');
    assert.equal(why.message, want);
    assert.deepEqual(why.nodes['sim-0'], { filter: 'TaintToleration', reasons: ['node(s) had untolerated taint {dedicated: db}'] });
    assert.deepEqual(why.nodes['sim-1'], { filter: 'NodeResourcesFit', reasons: ['Insufficient cpu'] });
    assert.equal(p.metadata.annotations?.['scheduler.tkube.io/explanation'], undefined);
  });

  void it('nodeSelector places a pod on the labelled node and its Scheduled event explains the choice', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: podYaml('ssd', '  nodeSelector: {disk: ssd}\n') });
    assert.equal(await runningOn('ssd'), 'sim-1');
    assert.equal((await pod('ssd')).metadata.annotations?.['scheduler.tkube.io/explanation'], undefined);
    const why = await eventually(() => explanation('ssd', 'Scheduled'));
    assert.equal(why.result, 'Scheduled');
    assert.equal(why.node, 'sim-1');
    assert.equal(why.nodes['sim-2']?.filter, 'NodeAffinity');
    const events = await cluster.kubectlOk(['get', 'events', '--field-selector', 'involvedObject.name=ssd,reason=Scheduled', '-o', 'jsonpath={.items[*].message}']);
    assert.equal(events, 'Successfully assigned default/ssd to sim-1');
  });

  void it('a tainted node takes only tolerating pods; removing the taint lets a parked pod schedule', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], {
      input: podYaml('tolerant', '  nodeSelector: {kubernetes.io/hostname: sim-0}\n  tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]\n'),
    });
    assert.equal(await runningOn('tolerant'), 'sim-0');

    await cluster.kubectlOk(['apply', '-f', '-'], { input: podYaml('intolerant', '  nodeSelector: {kubernetes.io/hostname: sim-0}\n') });
    const message = await eventually(async () => (await pod('intolerant')).status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message);
    assert.equal(
      message,
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    await cluster.kubectlOk(['taint', 'nodes', 'sim-0', 'dedicated-']);
    assert.equal(await runningOn('intolerant'), 'sim-0');
  });

  void it('a cordoned node gets no new pods', async () => {
    await cluster.kubectlOk(['cordon', 'sim-2']);
    await cluster.kubectlOk(['apply', '-f', '-'], { input: podYaml('not-on-2', '  nodeSelector: {kubernetes.io/hostname: sim-2}\n') });
    const message = await eventually(async () => (await pod('not-on-2')).status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False')?.message);
    assert.match(message, /1 node\(s\) were unschedulable/);
    await cluster.kubectlOk(['uncordon', 'sim-2']);
    assert.equal(await runningOn('not-on-2'), 'sim-2');
  });

  void it('topology spread (hostname, maxSkew 1) puts three pods on three nodes', async () => {
    const spread =
      '  topologySpreadConstraints:\n  - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: spread}}}\n';
    const manifests = ['s1', 's2', 's3'].map((n) => podYaml(n, spread).replace(`name: ${n}\n`, `name: ${n}\n  labels: {app: spread}\n`)).join('---\n');
    await cluster.kubectlOk(['apply', '-f', '-'], { input: manifests });
    const nodes = await Promise.all(['s1', 's2', 's3'].map((n) => runningOn(n)));
    assert.deepEqual([...new Set(nodes)].sort(), ['sim-0', 'sim-1', 'sim-2']);
  });

  void it('a high-priority pod preempts a lower-priority one and runs in its place', async () => {
    await cluster.kubectlOk(['create', 'priorityclass', 'high', '--value=1000']);
    const fill = (n: string, node: string): string =>
      podYaml(n, `  nodeSelector: {kubernetes.io/hostname: ${node}}\n`).replace('image: busybox:1.36', 'image: busybox:1.36\n    resources:\n      requests: {cpu: "3"}');
    await cluster.kubectlOk(['apply', '-f', '-'], { input: ['sim-0', 'sim-1', 'sim-2'].map((node) => fill(`filler-${node}`, node)).join('---\n') });
    for (const node of ['sim-0', 'sim-1', 'sim-2']) assert.equal(await runningOn(`filler-${node}`), node);
    const vip = podYaml('vip', '  priorityClassName: high\n').replace('image: busybox:1.36', 'image: busybox:1.36\n    resources:\n      requests: {cpu: "2"}');
    await cluster.kubectlOk(['apply', '-f', '-'], { input: vip });
    const node = await runningOn('vip');
    assert.notEqual((await cluster.kubectl(['get', 'pod', `filler-${node}`])).code, 0, 'the victim is gone');
    const preempted = await cluster.kubectlOk(['get', 'events', '--field-selector', `involvedObject.name=filler-${node},reason=Preempted`, '-o', 'jsonpath={.items[*].message}']);
    assert.match(preempted, new RegExp(`^Preempted by pod [0-9a-f-]+ on node ${node}$`));
  });

  void it('a deleted pod on a node finishes and disappears', async () => {
    await cluster.kubectlOk(['delete', 'pod', 'ssd', '--wait=true', '--timeout=20s']);
    const r = await cluster.kubectl(['get', 'pod', 'ssd']);
    assert.notEqual(r.code, 0);
  });
});
