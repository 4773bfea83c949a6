import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDaemonSet, defaultReplicationController, defaultStatefulSet } from './apps.js';
import { defaultCronJob, defaultJob } from './batch.js';
import { defaultHorizontalPodAutoscaler, defaultNetworkPolicy, defaultPersistentVolumeClaim, defaultStorageClass } from './core.js';
import { defaultImagePullPolicy, defaultPod } from './pod.js';
import { defaultService } from './service.js';

describe('defaultImagePullPolicy()', () => {
  const cases: [string, string][] = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/nginx', 'Always'],
    ['localhost:5000/nginx:v1', 'IfNotPresent'],
    ['nginx@sha256:abc', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) it(`${image} → ${want}`, () => assert.equal(defaultImagePullPolicy(image), want));
});

describe('defaulting', () => {
  it('fills probes and volumes', () => {
    const pod: Record<string, unknown> = {
      spec: {
        containers: [{ name: 'c', image: 'i', livenessProbe: { httpGet: { port: 80 } } }],
        volumes: [{ name: 'v' }, { name: 's', secret: { secretName: 's' } }],
      },
    };
    defaultPod(pod);
    const spec = pod['spec'] as { containers: Record<string, unknown>[]; volumes: Record<string, unknown>[] };
    assert.deepEqual(spec.containers[0]!['livenessProbe'], { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(spec.volumes[0], { name: 'v', emptyDir: {} });
    assert.deepEqual(spec.volumes[1], { name: 's', secret: { secretName: 's', defaultMode: 420 } });
  });
  it('statefulset, daemonset, replication controller', () => {
    const sts: Record<string, unknown> = { spec: {} };
    defaultStatefulSet(sts);
    assert.deepEqual(sts['spec'], {
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
    const ds: Record<string, unknown> = { spec: {} };
    defaultDaemonSet(ds);
    assert.deepEqual(ds['spec'], { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } }, revisionHistoryLimit: 10 });
    const rc: Record<string, unknown> = { metadata: { name: 'rc' }, spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [] } } } };
    defaultReplicationController(rc);
    assert.deepEqual((rc['spec'] as Record<string, unknown>)['selector'], { app: 'x' });
    assert.deepEqual((rc['metadata'] as Record<string, unknown>)['labels'], { app: 'x' });
  });
  it('jobs and cronjobs', () => {
    const job: Record<string, unknown> = { spec: { parallelism: 3 } };
    defaultJob(job);
    const spec = job['spec'] as Record<string, unknown>;
    assert.equal(spec['completions'], undefined);
    assert.equal(spec['parallelism'], 3);
    assert.equal(spec['backoffLimit'], 6);
    assert.equal(spec['podReplacementPolicy'], 'TerminatingOrFailed');
    const cj: Record<string, unknown> = { spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { containers: [] } } } } } };
    defaultCronJob(cj);
    const cs = cj['spec'] as Record<string, unknown>;
    assert.equal(cs['concurrencyPolicy'], 'Allow');
    assert.equal(cs['suspend'], false);
    assert.equal(cs['successfulJobsHistoryLimit'], 3);
    assert.equal(cs['failedJobsHistoryLimit'], 1);
  });
  it('services: NodePort traffic policy and ClientIP affinity', () => {
    const svc: Record<string, unknown> = { spec: { type: 'NodePort', sessionAffinity: 'ClientIP', ports: [{ port: 80, targetPort: 'http' }] } };
    defaultService(svc);
    const spec = svc['spec'] as Record<string, unknown>;
    assert.equal(spec['externalTrafficPolicy'], 'Cluster');
    assert.deepEqual(spec['sessionAffinityConfig'], { clientIP: { timeoutSeconds: 10800 } });
    assert.deepEqual(spec['ports'], [{ port: 80, targetPort: 'http', protocol: 'TCP' }]);
    const ext: Record<string, unknown> = { spec: { type: 'ExternalName', externalName: 'a.com' } };
    defaultService(ext);
    assert.equal((ext['spec'] as Record<string, unknown>)['ipFamilyPolicy'], undefined);
  });
  it('storage, network policy, HPA', () => {
    const sc: Record<string, unknown> = { provisioner: 'p' };
    defaultStorageClass(sc);
    assert.deepEqual(sc, { provisioner: 'p', reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate' });
    const pvc: Record<string, unknown> = {};
    defaultPersistentVolumeClaim(pvc);
    assert.deepEqual(pvc, { spec: { volumeMode: 'Filesystem' } });
    const np: Record<string, unknown> = { spec: { egress: [{ ports: [{ port: 53 }] }] } };
    defaultNetworkPolicy(np);
    assert.deepEqual(np['spec'], { egress: [{ ports: [{ port: 53, protocol: 'TCP' }] }], policyTypes: ['Ingress', 'Egress'] });
    const hpa: Record<string, unknown> = { apiVersion: 'autoscaling/v2', spec: { maxReplicas: 3 } };
    defaultHorizontalPodAutoscaler(hpa);
    const hs = hpa['spec'] as Record<string, unknown>;
    assert.equal(hs['minReplicas'], 1);
    assert.deepEqual(hs['metrics'], [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    // As upstream, behavior is defaulted only when given, and the scale-down window is left to the controller's flag.
    assert.equal(hs['behavior'], undefined);
    const withBehavior: Record<string, unknown> = { apiVersion: 'autoscaling/v2', spec: { maxReplicas: 3, behavior: { scaleUp: { selectPolicy: 'Min' } } } };
    defaultHorizontalPodAutoscaler(withBehavior);
    const b = (withBehavior['spec'] as Record<string, Record<string, Record<string, unknown>>>)['behavior'];
    assert.deepEqual(b?.['scaleUp'], { selectPolicy: 'Min', stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] });
    assert.deepEqual(b?.['scaleDown'], { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] });
  });
});
