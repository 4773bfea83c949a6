import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../meta/types.js';
import { convertHorizontalPodAutoscalers, hpaV1ToV2, hpaV2ToV1 } from './horizontal-pod-autoscaler.js';

const V2: KubeObject = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: 'default', annotations: { team: 'a' } },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 5,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '10' } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 60 } },
  },
  status: {
    currentReplicas: 2,
    desiredReplicas: 3,
    currentMetrics: [
      { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70, averageValue: '70m' } } },
      { type: 'External', external: { metric: { name: 'queue' }, current: { value: '4' } } },
    ],
    conditions: [{ type: 'AbleToScale', status: 'True', reason: 'SucceededRescale' }],
  },
};

describe('HorizontalPodAutoscaler conversion', () => {
  it('renders v2 as v1 with the CPU target and upstream annotations for the rest', () => {
    const v1 = hpaV2ToV1(V2);
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.deepEqual(v1['spec'], { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 });
    assert.deepEqual(v1['status'], { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 70 });
    const ann = v1.metadata?.annotations ?? {};
    assert.equal(ann['team'], 'a');
    assert.deepEqual(JSON.parse(ann['autoscaling.alpha.kubernetes.io/metrics'] ?? ''), [{ type: 'External', external: { metric: { name: 'queue' }, target: { type: 'Value', value: '10' } } }]);
    assert.ok(ann['autoscaling.alpha.kubernetes.io/behavior']);
    assert.ok(ann['autoscaling.alpha.kubernetes.io/conditions']);
  });

  it('round-trips v2 → v1 → v2 without loss (the CPU status keeps only its utilization)', () => {
    const back = hpaV1ToV2(hpaV2ToV1(V2));
    assert.deepEqual(back['spec'], V2['spec']);
    assert.deepEqual(back.metadata, V2.metadata);
    const status = back['status'] as { currentMetrics: unknown[]; conditions: unknown[] };
    assert.deepEqual(status.currentMetrics[0], { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70 } } });
    assert.deepEqual(status.conditions, (V2['status'] as { conditions: unknown[] }).conditions);
  });

  it('converts what kubectl autoscale posts', () => {
    const posted: KubeObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'd' }, spec: { scaleTargetRef: { kind: 'ReplicationController', name: 'd' }, minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 50 } };
    const [v2] = convertHorizontalPodAutoscalers([posted], 'autoscaling/v2');
    assert.deepEqual(v2?.['spec'], { scaleTargetRef: { kind: 'ReplicationController', name: 'd' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] });
    assert.equal(v2?.metadata?.annotations, undefined);
    assert.equal(convertHorizontalPodAutoscalers([V2], 'autoscaling/v2')[0], V2);
  });
});
