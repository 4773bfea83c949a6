/**
 * The HPA's decisions with a fake clock, a fake metrics client and a fake API (scale reads and writes, status,
 * events): utilization scale-up, tolerance, downscale stabilization, behavior policies, min/max clamping,
 * missing and unready pods, several metrics, scale to and from zero on an external metric, an RC target.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLabelSelector } from '../../api/meta/labels.js';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import type { RestClient } from '../../client/rest-client.js';
import type { AutoscalerApi, ScaleTarget } from './autoscaler-api.js';
import { Normalizer } from './behavior.js';
import { HorizontalReconciler } from './horizontal-controller.js';
import { FakeMetricsClient } from './metrics/fake-metrics-client.js';
import { formatMilli, toMilli } from './quantity.js';
import { ReplicaCalculator, type PodInfo } from './replica-calculator.js';
import { ResourceResolver } from './resource-resolver.js';
import { failed, ok, type CrossVersionObjectReference, type HorizontalPodAutoscaler, type HorizontalPodAutoscalerBehavior, type MetricSpec, type Result, type Scale } from './types.js';

const KEY = 'default/web';
const CPU_100: MetricSpec = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 100 } } };

/** FakeApi keeps scales by `Kind/name` and records what the controller did. */
class FakeApi implements AutoscalerApi {
  readonly scales = new Map<string, Scale>();
  readonly events: string[] = [];
  readonly scaleWrites: number[] = [];
  status: HorizontalPodAutoscaler['status'];
  /** When set, scale writes fail with this message. */
  writeFailure: string | undefined;

  setScale(kind: string, name: string, replicas: number, selector = 'app=web'): void {
    this.scales.set(`${kind}/${name}`, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace: 'default' }, spec: { replicas }, status: { replicas, selector } });
  }

  replicas(kind = 'Deployment', name = 'web'): number | undefined {
    return this.scales.get(`${kind}/${name}`)?.spec?.replicas;
  }

  getScale(_ns: string, ref: CrossVersionObjectReference): Promise<Result<ScaleTarget>> {
    const scale = this.scales.get(`${ref.kind}/${ref.name}`);
    if (!scale) return Promise.resolve(failed(`${ref.kind.toLowerCase()}s "${ref.name}" not found`));
    return Promise.resolve(ok({ scale: structuredClone(scale), resource: { group: '', version: 'v1', resource: 'x', namespaced: true, hasScale: true } }));
  }

  updateScale(_ns: string, target: ScaleTarget, replicas: number): Promise<Result<void>> {
    const s = [...this.scales.values()].find((v) => v.metadata?.name === target.scale.metadata?.name);
    if (!s) return Promise.resolve(failed('gone'));
    if (this.writeFailure !== undefined) return Promise.resolve(failed(this.writeFailure));
    s.spec = { replicas };
    s.status = { ...s.status, replicas };
    this.scaleWrites.push(replicas);
    return Promise.resolve(ok(undefined));
  }

  updateStatus(hpa: HorizontalPodAutoscaler): Promise<void> {
    this.status = structuredClone(hpa.status);
    return Promise.resolve();
  }

  event(_hpa: HorizontalPodAutoscaler, type: string, reason: string, message: string): Promise<void> {
    this.events.push(`${type} ${reason} ${message}`);
    return Promise.resolve();
  }
}

function pod(name: string, opts: { cpu?: string; phase?: string; ready?: boolean; startedMsAgo?: number; readySinceMsAgo?: number; now: number }): PodInfo & { metadata: { name: string; labels: Record<string, string> } } {
  const started = opts.now - (opts.startedMsAgo ?? 3_600_000);
  return {
    metadata: { name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', resources: { requests: { cpu: opts.cpu ?? '100m' } } }] },
    status: {
      phase: opts.phase ?? 'Running',
      startTime: new Date(started).toISOString(),
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True', lastTransitionTime: new Date(opts.now - (opts.readySinceMsAgo ?? 3_000_000)).toISOString() }],
    },
  };
}

interface Harness {
  clock: FakeClock;
  api: FakeApi;
  metrics: FakeMetricsClient;
  pods: PodInfo[];
  hpa: HorizontalPodAutoscaler;
  reconciler: HorizontalReconciler;
  calculator: ReplicaCalculator;
  sync(): Promise<void>;
  condition(type: string): string;
}

function harness(spec: Partial<NonNullable<HorizontalPodAutoscaler['spec']>>, replicas: number, opts: { downscaleMs?: number; kind?: string } = {}): Harness {
  const clock = new FakeClock();
  const api = new FakeApi();
  const kind = opts.kind ?? 'Deployment';
  api.setScale(kind, 'web', replicas);
  const metrics = new FakeMetricsClient();
  const pods: PodInfo[] = [];
  for (let i = 0; i < replicas; i++) pods.push(pod(`web-${i}`, { now: clock.now() }));
  const hpa: HorizontalPodAutoscaler = {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', generation: 1 },
    spec: { scaleTargetRef: { apiVersion: kind === 'ReplicationController' ? 'v1' : 'apps/v1', kind, name: 'web' }, minReplicas: 1, maxReplicas: 10, metrics: [CPU_100], ...spec },
    status: { desiredReplicas: 0 },
  };
  const now = (): number => clock.now();
  const calculator = new ReplicaCalculator({ metrics, now, pods: (_ns, sel) => pods.filter((p) => sel.matches((p.metadata as { labels?: Record<string, string> }).labels)) });
  const reconciler = new HorizontalReconciler({
    hpa: () => ({ ...hpa, status: api.status ?? hpa.status }),
    api,
    calculator,
    normalizer: new Normalizer({ now, downscaleStabilizationMs: opts.downscaleMs }),
    now,
    log: newLogger('hpa-test'),
  });
  return {
    clock,
    api,
    metrics,
    pods,
    hpa,
    reconciler,
    calculator,
    async sync() {
      const r = await reconciler.reconcile(KEY);
      assert.deepEqual(r, { requeueAfterMs: 15_000 });
    },
    condition(type: string) {
      const c = api.status?.conditions?.find((x) => x.type === type);
      return c ? `${c.status} ${c.reason ?? ''}` : 'absent';
    },
  };
}

/** setCpu gives every pod of the harness the same CPU usage (millicores). */
function setCpu(h: Harness, milli: number): void {
  h.metrics.resource.set('cpu', new Map(h.pods.map((p) => [p.metadata?.name ?? '', milli])));
}

describe('HorizontalReconciler', () => {
  it('scales up by CPU utilization and reports the metric, conditions and event', async () => {
    const h = harness({}, 2);
    setCpu(h, 150);
    await h.sync();
    assert.equal(h.api.replicas(), 3);
    assert.deepEqual(h.api.events, ['Normal SuccessfulRescale New size: 3; reason: cpu resource utilization (percentage of request) above target']);
    assert.deepEqual(h.api.status?.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 150, averageValue: '150m' } } }]);
    assert.equal(h.api.status?.currentReplicas, 2);
    assert.equal(h.api.status?.desiredReplicas, 3);
    assert.ok(h.api.status?.lastScaleTime);
    assert.equal(h.condition('AbleToScale'), 'True SucceededRescale');
    assert.equal(h.condition('ScalingActive'), 'True ValidMetricFound');
    assert.equal(h.condition('ScalingLimited'), 'False DesiredWithinRange');
  });

  it('does nothing within the tolerance band', async () => {
    const h = harness({}, 4);
    setCpu(h, 108);
    await h.sync();
    assert.deepEqual(h.api.scaleWrites, []);
    assert.equal(h.api.status?.desiredReplicas, 4);
    assert.equal(h.condition('AbleToScale'), 'True ReadyForNewScale');
    setCpu(h, 115);
    await h.sync();
    assert.equal(h.api.replicas(), 5);
  });

  it('holds a scale-down for the downscale stabilization window', async () => {
    const h = harness({}, 4);
    setCpu(h, 10);
    await h.sync();
    assert.deepEqual(h.api.scaleWrites, []);
    assert.equal(h.condition('AbleToScale'), 'True ScaleDownStabilized');
    h.clock.advance(200_000);
    await h.sync();
    assert.deepEqual(h.api.scaleWrites, []);
    h.clock.advance(101_000);
    await h.sync();
    assert.equal(h.api.replicas(), 1);
    assert.match(h.api.events.at(-1) ?? '', /New size: 1; reason: All metrics below target/);
  });

  it('honours --horizontal-pod-autoscaler-downscale-stabilization', async () => {
    const h = harness({}, 4, { downscaleMs: 0 });
    setCpu(h, 10);
    await h.sync();
    assert.equal(h.api.replicas(), 1);
  });

  it('limits scale-up by a Pods policy per period, then lets it continue', async () => {
    const behavior: HorizontalPodAutoscalerBehavior = { scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } };
    const h = harness({ behavior }, 2);
    setCpu(h, 400);
    await h.sync();
    assert.equal(h.api.replicas(), 3);
    assert.equal(h.condition('ScalingLimited'), 'True ScaleUpLimit');
    h.clock.advance(15_000);
    await h.sync();
    assert.equal(h.api.replicas(), 3, 'one pod per 60 s already used');
    h.clock.advance(46_000);
    await h.sync();
    assert.equal(h.api.replicas(), 4);
  });

  it('limits scale-down by a Percent policy and picks policies with selectPolicy', async () => {
    const down: HorizontalPodAutoscalerBehavior = { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] } };
    const h = harness({ behavior: down }, 8);
    setCpu(h, 5);
    await h.sync();
    assert.equal(h.api.replicas(), 4);
    assert.equal(h.condition('ScalingLimited'), 'True ScaleDownLimit');

    const policies = [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ];
    // Max: the policy allowing the larger change (2 → 6); Min: the smaller (2 → 4); Disabled: none.
    for (const [selectPolicy, want] of [['Max', 6], ['Min', 4], ['Disabled', 2]] as const) {
      const up = harness({ behavior: { scaleUp: { selectPolicy, policies, stabilizationWindowSeconds: 0 } } }, 2);
      setCpu(up, 1000);
      await up.sync();
      assert.equal(up.api.replicas(), want, selectPolicy);
    }
  });

  it('clamps to min and max with ScalingLimited reasons', async () => {
    const h = harness({ maxReplicas: 5 }, 4);
    setCpu(h, 1000);
    await h.sync();
    assert.equal(h.api.replicas(), 5);
    assert.equal(h.condition('ScalingLimited'), 'True TooManyReplicas');

    const low = harness({ minReplicas: 3 }, 4, { downscaleMs: 0 });
    setCpu(low, 1);
    await low.sync();
    assert.equal(low.api.replicas(), 3);
    assert.equal(low.condition('ScalingLimited'), 'True TooFewReplicas');

    // A count outside the bounds (the user lowered maxReplicas) is set straight to the bound.
    const out = harness({ maxReplicas: 2 }, 4);
    setCpu(out, 100);
    await out.sync();
    assert.equal(out.api.replicas(), 2);
    assert.deepEqual(out.api.events, ['Normal SuccessfulRescale New size: 2; reason: Current number of replicas above Spec.MaxReplicas']);
  });

  it('treats missing metrics as 100% on scale-down and 0 on scale-up, unready pods as 0 on scale-up', async () => {
    const h = harness({}, 3);
    const sel = parseLabelSelector('app=web');
    h.metrics.resource.set('cpu', new Map([['web-0', 50], ['web-1', 50]]));
    let r = await h.calculator.resourceReplicas(3, 100, 'cpu', 'default', sel);
    assert.ok(r.ok);
    assert.equal(r.value.replicas, 2, '(50 + 50 + 100) / 300 = 66% of 3 pods');
    h.metrics.resource.set('cpu', new Map([['web-0', 200], ['web-1', 200]]));
    r = await h.calculator.resourceReplicas(3, 100, 'cpu', 'default', sel);
    assert.ok(r.ok);
    assert.equal(r.value.replicas, 4, '(200 + 200 + 0) / 300 = 133% of 3 pods');
    // A pod still Pending counts as 0 when scaling up.
    h.pods.push(pod('web-3', { phase: 'Pending', now: h.clock.now() }));
    h.metrics.resource.set('cpu', new Map([['web-0', 200], ['web-1', 200], ['web-2', 200]]));
    r = await h.calculator.resourceReplicas(4, 100, 'cpu', 'default', sel);
    assert.ok(r.ok);
    assert.equal(r.value.replicas, 6, '600 / 400 = 150% of 4 pods');
    // A CPU sample from before the pod became ready (still initializing) is not used.
    h.pods.splice(3, 1, pod('web-3', { now: h.clock.now(), startedMsAgo: 60_000, readySinceMsAgo: 10_000 }));
    h.metrics.resource.set('cpu', new Map([['web-0', 100], ['web-1', 100], ['web-2', 100], ['web-3', 900]]));
    r = await h.calculator.resourceReplicas(4, 100, 'cpu', 'default', sel);
    assert.ok(r.ok);
    assert.equal(r.value.usage, 100);
  });

  it('reports a metrics API that is not there as ScalingActive False with the reason', async () => {
    const h = harness({}, 2);
    h.metrics.failure = 'unable to fetch metrics from resource metrics API: the server could not find the requested resource';
    await h.sync();
    assert.deepEqual(h.api.scaleWrites, []);
    assert.equal(h.condition('ScalingActive'), 'False FailedGetResourceMetric');
    assert.deepEqual(h.api.status?.currentMetrics, [{ type: '' }]);
    assert.equal(h.api.status?.currentReplicas, 2);
    assert.deepEqual(
      h.api.events.map((e) => e.split(' ').slice(0, 2).join(' ')),
      ['Warning FailedGetResourceMetric', 'Warning FailedComputeMetricsReplicas'],
    );
  });

  it('takes the largest proposal of several metrics, and acts on the valid ones when scaling up', async () => {
    const queue: MetricSpec = { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '10' } } };
    const h = harness({ metrics: [CPU_100, queue] }, 2);
    setCpu(h, 150);
    h.metrics.external.set('queue', [toMilli('50') ?? 0]);
    await h.sync();
    assert.equal(h.api.replicas(), 4, 'cpu says 3, queue says 5, capped at max(2×2, 4)');
    assert.match(h.api.events.at(-1) ?? '', /reason: external metric queue\(nil\) above target/);
    assert.deepEqual(h.api.status?.currentMetrics?.[1], { type: 'External', external: { metric: { name: 'queue' }, current: { averageValue: '25' } } });
    // CPU unavailable but the queue still asks for more: scale on what works.
    h.metrics.resource.clear();
    h.clock.advance(15_000);
    await h.sync();
    assert.equal(h.api.replicas(), 5);
  });

  it('scales an external metric from 0 to N and back to 0 (minReplicas 0)', async () => {
    const queue: MetricSpec = { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '10' } } };
    const h = harness({ minReplicas: 0, metrics: [queue], behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }, 0);
    h.metrics.external.set('queue', [0]);
    await h.sync();
    assert.equal(h.api.replicas(), 0);
    assert.equal(h.condition('ScalingActive'), 'True ValidMetricFound');
    h.metrics.external.set('queue', [toMilli(25) ?? 0]);
    h.clock.advance(15_000);
    await h.sync();
    assert.equal(h.api.replicas(), 3, 'ceil(25 / 10)');
    for (let i = 0; i < 3; i++) h.pods.push(pod(`web-${i}`, { now: h.clock.now() }));
    h.metrics.external.set('queue', [0]);
    h.clock.advance(15_000);
    await h.sync();
    assert.equal(h.api.replicas(), 3, 'inside the 60 s scale-down window');
    h.clock.advance(61_000);
    await h.sync();
    assert.equal(h.api.replicas(), 0);
    assert.deepEqual(h.api.status?.currentMetrics, [{ type: 'External', external: { metric: { name: 'queue' }, current: { value: '0' } } }]);
  });

  it('wakes a zero-replica target with Percent-only scale-up policies', async () => {
    const queue: MetricSpec = { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '5' } } };
    const h = harness({ minReplicas: 0, metrics: [queue], behavior: { scaleUp: { policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } } }, 0);
    h.metrics.external.set('queue', [toMilli(12) ?? 0]);
    await h.sync();
    assert.equal(h.api.replicas(), 1);
  });

  it('leaves a target scaled to 0 by hand alone when minReplicas is not 0', async () => {
    const h = harness({}, 0);
    await h.sync();
    assert.deepEqual(h.api.scaleWrites, []);
    assert.equal(h.condition('ScalingActive'), 'False ScalingDisabled');
  });

  it('reports a missing target as AbleToScale False / FailedGetScale', async () => {
    const h = harness({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'nope' } }, 2);
    await h.sync();
    assert.equal(h.condition('AbleToScale'), 'False FailedGetScale');
    assert.deepEqual(h.api.events, ['Warning FailedGetScale deployments "nope" not found']);
  });

  it('scales a ReplicationController through its scale', async () => {
    const h = harness({}, 2, { kind: 'ReplicationController' });
    setCpu(h, 200);
    await h.sync();
    assert.equal(h.api.replicas('ReplicationController'), 4);
  });

  it('holds a scale-up for the scale-up stabilization window', async () => {
    const h = harness({ behavior: { scaleUp: { stabilizationWindowSeconds: 60 } } }, 2);
    setCpu(h, 100);
    await h.sync();
    setCpu(h, 200);
    h.clock.advance(15_000);
    await h.sync();
    assert.deepEqual(h.api.scaleWrites, [], 'the lowest recommendation of the last 60 s was 2');
    assert.equal(h.condition('AbleToScale'), 'True ScaleUpStabilized');
    h.clock.advance(61_000);
    await h.sync();
    assert.equal(h.api.replicas(), 4);
  });

  it('reports a failed scale write as FailedRescale / FailedUpdateScale', async () => {
    const h = harness({}, 2);
    h.api.writeFailure = 'Operation cannot be fulfilled: the object has been modified';
    setCpu(h, 200);
    await h.sync();
    assert.equal(h.condition('AbleToScale'), 'False FailedUpdateScale');
    assert.deepEqual(h.api.events, ['Warning FailedRescale New size: 4; reason: cpu resource utilization (percentage of request) above target; error: Operation cannot be fulfilled: the object has been modified']);
    assert.equal(h.api.status?.lastScaleTime, undefined);
  });

  it('reads one container for ContainerResource metrics', async () => {
    const metric: MetricSpec = { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'c', target: { type: 'Utilization', averageUtilization: 100 } } };
    const h = harness({ metrics: [metric] }, 2);
    setCpu(h, 150);
    await h.sync();
    assert.equal(h.api.replicas(), 3);
    assert.deepEqual(h.api.status?.currentMetrics, [{ type: 'ContainerResource', containerResource: { name: 'cpu', container: 'c', current: { averageUtilization: 150, averageValue: '150m' } } }]);
  });

  it('uses Pods and Object metrics', async () => {
    const rps: MetricSpec = { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '10' } } };
    const h = harness({ metrics: [rps] }, 2);
    h.metrics.pods.set('rps', new Map([['web-0', 30_000], ['web-1', 10_000]]));
    await h.sync();
    assert.equal(h.api.replicas(), 4, 'average 20 against 10');
    assert.deepEqual(h.api.status?.currentMetrics, [{ type: 'Pods', pods: { metric: { name: 'rps' }, current: { averageValue: '20' } } }]);

    const ing: MetricSpec = { type: 'Object', object: { describedObject: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', name: 'main' }, metric: { name: 'hits' }, target: { type: 'Value', value: '100' } } };
    const o = harness({ metrics: [ing] }, 2);
    o.metrics.objects.set('Ingress/main/hits', 300_000);
    await o.sync();
    assert.equal(o.api.replicas(), 4, 'ratio 3 × 2 ready pods, capped at 4 by the legacy scale-up limit');
    assert.match(o.api.events.at(-1) ?? '', /reason: Ingress metric hits above target/);
  });
});

describe('ResourceResolver', () => {
  it('maps kinds to resources with a scale subresource through discovery', async () => {
    const docs: Record<string, unknown> = {
      '/api/v1': { resources: [{ name: 'replicationcontrollers', kind: 'ReplicationController', namespaced: true }, { name: 'replicationcontrollers/scale', kind: 'Scale', namespaced: true }, { name: 'configmaps', kind: 'ConfigMap', namespaced: true }] },
      '/apis/example.com/v1': { resources: [{ name: 'widgets', kind: 'Widget', namespaced: true }, { name: 'widgets/scale', kind: 'Scale', namespaced: true }] },
    };
    const reads: string[] = [];
    const client = {
      getPath: (p: string): Promise<unknown> => {
        reads.push(p);
        return docs[p] ? Promise.resolve(docs[p]) : Promise.reject(new Error('the server could not find the requested resource'));
      },
    } as unknown as RestClient;
    const clock = new FakeClock();
    const r = new ResourceResolver({ client, clock });
    assert.deepEqual(await r.resolve('v1', 'ReplicationController'), ok({ group: '', version: 'v1', resource: 'replicationcontrollers', namespaced: true, hasScale: true }));
    assert.deepEqual(await r.resolve('example.com/v1', 'Widget'), ok({ group: 'example.com', version: 'v1', resource: 'widgets', namespaced: true, hasScale: true }));
    const cm = await r.resolve('v1', 'ConfigMap');
    assert.ok(cm.ok && !cm.value.hasScale);
    assert.equal((await r.resolve('v1', 'Gadget')).ok, false);
    assert.equal((await r.resolve('', 'ReplicationController')).ok, true);
    assert.equal((await r.resolve('apps/v1/x', 'Gadget')).ok, false);
    // Misses are not looked up again before the refresh interval.
    const before = reads.length;
    await r.resolve('v1', 'Gadget');
    assert.equal(reads.length, before);
  });
});

describe('quantities', () => {
  it('parses to milli-units and prints canonical decimal quantities', () => {
    assert.equal(toMilli('500m'), 500);
    assert.equal(toMilli('7'), 7000);
    assert.equal(toMilli('0.1'), 100);
    assert.equal(toMilli(2), 2000);
    assert.equal(toMilli('1Ki'), 1_024_000);
    assert.deepEqual([150, 1000, 1500, 1_500_000, 2_000_000, 0].map(formatMilli), ['150m', '1', '1500m', '1500', '2k', '0']);
  });
});
