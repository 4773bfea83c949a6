/**
 * The HorizontalPodAutoscaler driven by real metrics end to end (issue 10), with timings shortened by flags:
 * - an external queue-length metric (an ExternalMetricSource reading a loopback HTTP endpoint the test controls)
 *   scales a ReplicationController of "processors" 0 → N → 0 — what KEDA is installed for upstream; simulated
 *   nodes run the pods, so no root is needed;
 * - CPU from metrics.k8s.io: a busy-looping Deployment is scaled up by `kubectl autoscale --cpu-percent`, and back
 *   down once its pods go idle (downscale stabilization set to 0 s). The node runs the process runtime, whose pod
 *   figures come from /proc per container process group (no root, no runc node: the same metrics pipeline, in about
 *   a third of the time).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_PATH } from '../../src/agent/images/builtin-images.js';
import { waitForNodeReady } from '../harness/pods.js';
import { deletePodsAndCleanUpProcessNode } from '../harness/process-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const FAST_HPA = ['--horizontal-pod-autoscaler-sync-period', '1s', '--horizontal-pod-autoscaler-downscale-stabilization', '0s'];

void describe('HPA on an external queue-length metric: 0 → N → 0', () => {
  let c: TestCluster;
  let http: Server;
  let queue = 0;

  before(async () => {
    http = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(`# TYPE queue_length gauge\nqueue_length ${queue}\n`));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    c = await TestCluster.start({ args: ['--simulated-nodes', '2', '--metrics-scrape-interval', '500ms', ...FAST_HPA] });
  });

  after(async () => {
    await c?.stop();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  void it('scales processors with the queue, to zero and back', async () => {
    const port = (http.address() as AddressInfo).port;
    await eventually(async () => (await c.kubectl(['get', 'crd', 'externalmetricsources.metrics.tkube.io'])).code === 0, 30_000);
    await c.kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: metrics.tkube.io/v1alpha1
kind: ExternalMetricSource
metadata: {name: queue, namespace: default}
spec:
  url: http://127.0.0.1:${port}/metrics
  intervalSeconds: 0.5
  metrics:
  - name: queue_length
---
apiVersion: v1
kind: ReplicationController
metadata: {name: processor, namespace: default}
spec:
  replicas: 0
  selector: {app: processor}
  template:
    metadata: {labels: {app: processor}}
    spec:
      containers: [{name: p, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: processor, namespace: default}
spec:
  scaleTargetRef: {apiVersion: v1, kind: ReplicationController, name: processor}
  minReplicas: 0
  maxReplicas: 6
  metrics:
  - type: External
    external:
      metric: {name: queue_length}
      target: {type: AverageValue, averageValue: "5"}
`,
    });
    const replicas = async (): Promise<number> => Number(await c.kubectlOk(['get', 'rc', 'processor', '-o', 'jsonpath={.spec.replicas}']));
    const running = async (): Promise<number> =>
      (await c.kubectlOk(['get', 'pods', '-l', 'app=processor', '--field-selector=status.phase=Running', '-o', 'name'])).split('\n').filter((l) => l !== '').length;

    // An empty queue keeps it at zero.
    await eventually(async () => (await c.kubectlOk(['get', 'hpa', 'processor', '-o', 'jsonpath={.status.currentMetrics[0].external.current.averageValue}'])) !== '', 30_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${await c.kubectlOk(['get', 'hpa', 'processor', '-o', 'yaml'])}\n${await c.kubectlOk(['get', 'events'])}`);
    });
    assert.equal(await replicas(), 0);

    queue = 20;
    const up = Date.now();
    await eventually(async () => (await replicas()) === 4, 30_000);
    process.stderr.write(`# hpa: queue 0 → 20 scaled 0 → 4 in ${Date.now() - up} ms (sync 1 s, scrape 0.5 s)\n`);
    await eventually(async () => (await running()) === 4, 30_000);
    // TARGETS as upstream prints an external AverageValue: the metric over the current replicas, after the next sync.
    await eventually(async () => /processor\s+ReplicationController\/processor\s+5\/5 \(avg\)\s+0\s+6\s+4\s/.test(await c.kubectlOk(['get', 'hpa', 'processor'])), 30_000);

    queue = 100;
    await eventually(async () => (await replicas()) === 6, 30_000);
    const limited = await c.kubectlOk(['get', 'hpa', 'processor', '-o', 'jsonpath={.status.conditions[?(@.type=="ScalingLimited")].reason}']);
    assert.equal(limited, 'TooManyReplicas');

    queue = 0;
    await eventually(async () => (await replicas()) === 0, 30_000);
    await eventually(async () => (await running()) === 0, 30_000);
    const events = await c.kubectlOk(['get', 'events', '--field-selector=involvedObject.kind=HorizontalPodAutoscaler', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events, /SuccessfulRescale: New size: 4; reason: external metric queue_length\(nil\) above target/);
    assert.match(events, /SuccessfulRescale: New size: 0; reason: All metrics below target/);
  });
});

void describe('HPA on CPU from metrics.k8s.io, on a process-runtime node', { skip: existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static' }, () => {
  let c: TestCluster;
  const node = `tkube-hpa-${process.pid}`;

  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'process', '--node-name', node, '--kubelet-port', '0', '--metrics-resolution', '1s', ...FAST_HPA, '--horizontal-pod-autoscaler-cpu-initialization-period', '0s', '--horizontal-pod-autoscaler-initial-readiness-delay', '0s'] });
    await waitForNodeReady(c, node);
  });

  after(async () => {
    if (!c) return;
    // The Deployment would replace the pods deletePodsAndCleanUpProcessNode deletes: it goes first.
    await c.kubectl(['delete', 'hpa,deployment', '--all', '--wait=true', '--timeout=60s']);
    await deletePodsAndCleanUpProcessNode(c);
  });

  void it('scales a busy Deployment up under load and down when idle (kubectl autoscale)', async () => {
    await c.kubectlOk(['create', 'deployment', 'burner', '--image=busybox', '--', 'sh', '-c', 'while :; do :; done']);
    await c.kubectlOk(['set', 'resources', 'deployment', 'burner', '--requests=cpu=20m']);
    await c.kubectlOk(['autoscale', 'deployment', 'burner', '--min=1', '--max=2', '--cpu-percent=50']);
    const replicas = async (): Promise<number> => Number(await c.kubectlOk(['get', 'deployment', 'burner', '-o', 'jsonpath={.spec.replicas}']));
    // One busy loop uses far more than 50 % of 20m: the HPA asks for more and is held at the maximum.
    await eventually(async () => (await replicas()) === 2, 90_000);
    const hpa = await c.kubectlOk(['get', 'hpa', 'burner']);
    assert.match(hpa, /burner\s+Deployment\/burner\s+cpu: \d+%\/50%\s+1\s+2\s+\d/);

    // Idle pods: utilization falls to ~0 and, with no downscale window, the HPA goes back to the minimum.
    await c.kubectlOk(['patch', 'deployment', 'burner', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/command","value":["sh","-c","sleep 3600"]}]']);
    await eventually(async () => (await replicas()) === 1, 120_000);
  });
});
