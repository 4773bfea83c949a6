/**
 * HorizontalPodAutoscaler with a real server and real kubectl: `kubectl autoscale rc` (kubectl 1.32 posts
 * autoscaling/v1, read back as v2), the min bound written through the RC's /scale, `kubectl get hpa` TARGETS and
 * `kubectl describe hpa`, ScalingActive False with a clear reason while no metrics API is served, a custom
 * resource scaled through its /scale as min/max change, FailedGetScale for a missing target, and the
 * scale-to-zero validation rule. Metric-driven scaling needs a metrics API and is covered by unit tests here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const RC = `apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 1
  selector: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        resources:
          requests: {cpu: 100m}
`;

const GADGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
        labelSelectorPath: .status.selector
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              replicas: {type: integer}
          status:
            type: object
            properties:
              replicas: {type: integer}
              selector: {type: string}
`;

function gadgetHpa(min: number, max: number): string {
  return `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: gadget
spec:
  scaleTargetRef: {apiVersion: example.com/v1, kind: Gadget, name: g}
  minReplicas: ${min}
  maxReplicas: ${max}
  metrics:
  - type: External
    external:
      metric: {name: queue_depth}
      target: {type: Value, value: "10"}
`;
}

interface HpaJson {
  apiVersion: string;
  spec: { metrics?: unknown[]; minReplicas?: number; maxReplicas: number };
  status?: { currentReplicas?: number; desiredReplicas?: number; conditions?: { type: string; status: string; reason: string; message: string }[] };
}

void describe('horizontal pod autoscaler', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ args: ['--horizontal-pod-autoscaler-sync-period', '2s'] });
  });

  after(async () => {
    await cluster?.stop();
  });

  async function hpa(name: string): Promise<HpaJson> {
    return JSON.parse(await cluster.kubectlOk(['get', 'hpa', name, '-o', 'json'])) as HpaJson;
  }

  function condition(h: HpaJson, type: string): { status: string; reason: string; message: string } | undefined {
    return h.status?.conditions?.find((c) => c.type === type);
  }

  void it('kubectl autoscale rc: min bound written through /scale, TARGETS, conditions, describe', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: RC });
    assert.match(await cluster.kubectlOk(['autoscale', 'rc', 'web', '--min', '2', '--max', '4', '--cpu-percent', '50']), /horizontalpodautoscaler.autoscaling\/web autoscaled/);

    // kubectl posted autoscaling/v1; the preferred version reads it as v2 with the CPU target as a metric.
    const created = await hpa('web');
    assert.equal(created.apiVersion, 'autoscaling/v2');
    assert.deepEqual(created.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }]);
    const v1 = JSON.parse((await cluster.request('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web')).body) as { spec: { targetCPUUtilizationPercentage?: number } };
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);

    // 1 replica is below minReplicas: the controller writes 2 through the RC's scale subresource.
    await eventually(async () => (await cluster.kubectlOk(['get', 'rc', 'web', '-o', 'jsonpath={.spec.replicas}'])) === '2');
    const events = await cluster.kubectlOk(['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=web,reason=SuccessfulRescale', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /New size: 2; reason: Current number of replicas below Spec.MinReplicas/);

    // Within bounds the metrics decide; the RC's pods run on no node, so metrics.k8s.io has none of them (or is not
    // ready yet): ScalingActive False says why.
    const failing = await eventually(async () => {
      const h = await hpa('web');
      return condition(h, 'ScalingActive')?.reason === 'FailedGetResourceMetric' ? h : undefined;
    });
    assert.equal(condition(failing, 'ScalingActive')?.status, 'False');
    assert.match(condition(failing, 'ScalingActive')?.message ?? '', /^the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: (no metrics returned from resource metrics API|unable to fetch metrics from resource metrics API: .+)$/);
    assert.equal(condition(failing, 'AbleToScale')?.reason, 'SucceededGetScale');
    assert.equal(failing.status?.currentReplicas, 2);

    const table = await cluster.kubectlOk(['get', 'hpa', 'web']);
    const [header, row] = table.trim().split('\n');
    assert.match(header ?? '', /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    assert.match(row ?? '', /^web\s+ReplicationController\/web\s+cpu: <unknown>\/50%\s+2\s+4\s+2\s+\d+s$/);

    const described = await cluster.kubectlOk(['describe', 'hpa', 'web']);
    assert.match(described, /Reference:\s+ReplicationController\/web/);
    assert.match(described, /resource cpu on pods\s+\(as a percentage of request\):\s+<unknown> \/ 50%/);
    assert.match(described, /ScalingActive\s+False\s+FailedGetResourceMetric/);
    assert.match(described, /SuccessfulRescale/);
  });

  void it('scales a custom resource through its /scale as min and max change', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: GADGET_CRD });
    await eventually(async () => (await cluster.kubectl(['get', 'gadgets'])).code === 0);
    await cluster.kubectlOk(['apply', '-f', '-'], { input: 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {replicas: 1}\n' });
    await cluster.kubectlOk(['apply', '-f', '-'], { input: gadgetHpa(3, 5) });
    const replicas = async (): Promise<string> => cluster.kubectlOk(['get', 'gadget', 'g', '-o', 'jsonpath={.spec.replicas}']);
    await eventually(async () => (await replicas()) === '3');

    await cluster.kubectlOk(['apply', '-f', '-'], { input: gadgetHpa(1, 2) });
    await eventually(async () => (await replicas()) === '2');
    const h = await hpa('gadget');
    assert.equal(condition(h, 'AbleToScale')?.reason, 'SucceededRescale');
    const row = (await cluster.kubectlOk(['get', 'hpa', 'gadget', '--no-headers'])).trim();
    assert.match(row, /^gadget\s+Gadget\/g\s+<unknown>\/10\s+1\s+2\s+\d\s+\d+s$/);
  });

  void it('reports a missing target as AbleToScale False / FailedGetScale', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], {
      input: 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: ghost}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ghost}\n  maxReplicas: 3\n',
    });
    const h = await eventually(async () => {
      const x = await hpa('ghost');
      return condition(x, 'AbleToScale')?.reason === 'FailedGetScale' ? x : undefined;
    });
    assert.equal(condition(h, 'AbleToScale')?.status, 'False');
    assert.match(condition(h, 'AbleToScale')?.message ?? '', /the HPA controller was unable to get the target's current scale: .*not found/);
  });

  void it('allows minReplicas 0 only with an Object or External metric', async () => {
    await cluster.kubectlOk(['apply', '-f', '-'], { input: gadgetHpa(0, 2).replace('name: gadget\n', 'name: gadget-zero\n') });
    const refused = await cluster.kubectl(['apply', '-f', '-'], {
      input: 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: cpu-zero}\nspec:\n  scaleTargetRef: {apiVersion: v1, kind: ReplicationController, name: web}\n  minReplicas: 0\n  maxReplicas: 3\n',
    });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /spec.minReplicas: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas/);
  });
});
