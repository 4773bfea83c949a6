import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/meta/types.js';
import { formatCreatedAt, humanDuration, translateTimestampSince } from './age.js';
import { hpaTargets, horizontalPodAutoscalerTable } from './autoscaling.js';
import { cronJobTable, jobTable } from './batch.js';
import { configMapTable, namespaceTable, resourceQuotaTable, secretTable } from './config.js';
import { eventTable } from './events.js';
import { endpointsTable, ingressTable } from './networking.js';
import { nodeTable } from './nodes.js';
import { podTable } from './pods.js';
import { roleBindingTable, roleTable } from './rbac.js';
import { serviceTable } from './services.js';
import { persistentVolumeClaimTable, storageClassTable } from './storage.js';
import { controllerRevisionTable, daemonSetTable, deploymentTable, replicaSetTable, replicationControllerTable } from './workloads.js';
import type { TableConvertor } from './table.js';

const NOW = new Date('2026-01-10T12:00:00Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString();
const meta = (name: string, ageSeconds = 60, extra: Record<string, unknown> = {}): KubeObject['metadata'] => ({ name, namespace: 'default', creationTimestamp: ago(ageSeconds), ...extra });

function row(t: TableConvertor, o: KubeObject): unknown[] {
  const cells = t.cells(o, NOW);
  assert.equal(cells.length, t.columns.length, 'one cell per column');
  return cells;
}

describe('humanDuration()', () => {
  const cases: [number, string][] = [
    [-5, '<invalid>'],
    [-1, '0s'],
    [5, '5s'],
    [119, '119s'],
    [182, '3m2s'],
    [180, '3m'],
    [600, '10m'],
    [179 * 60, '179m'],
    [4 * 3600 + 5 * 60, '4h5m'],
    [5 * 3600, '5h'],
    [30 * 3600, '30h'],
    [51 * 3600, '2d3h'],
    [48 * 3600, '2d'],
    [45 * 86400, '45d'],
    [(2 * 365 + 10) * 86400, '2y10d'],
    [9 * 365 * 86400, '9y'],
  ];
  for (const [s, want] of cases) it(`renders ${s}s as ${want}`, () => assert.equal(humanDuration(s * 1000), want));
  it('translateTimestampSince handles missing timestamps', () => {
    assert.equal(translateTimestampSince(undefined, NOW), '<unknown>');
    assert.equal(translateTimestampSince(ago(65), NOW), '65s');
    assert.equal(formatCreatedAt('2026-01-01T00:00:00.000Z'), '2026-01-01T00:00:00Z');
  });
});

describe('podTable', () => {
  const base = (status: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject => ({
    metadata: meta('web-1', 300),
    spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }] },
    status,
    ...extra,
  });
  it('renders a running pod with restarts', () => {
    const pod = base({
      phase: 'Running',
      podIP: '10.0.0.5',
      podIPs: [{ ip: '10.0.0.5' }],
      containerStatuses: [
        { name: 'a', ready: true, restartCount: 3, state: { running: {} }, lastState: { terminated: { finishedAt: ago(120) } } },
        { name: 'b', ready: false, restartCount: 0, state: { running: {} } },
      ],
    });
    assert.deepEqual(row(podTable, pod), ['web-1', '1/2', 'Running', '3 (2m ago)', '5m', '10.0.0.5', 'n1', '<none>', '<none>']);
  });
  it('shows the waiting reason', () => {
    const pod = base({ phase: 'Pending', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ContainerCreating' } } }] });
    assert.equal(row(podTable, pod)[2], 'ContainerCreating');
    const crash = base({ phase: 'Running', containerStatuses: [{ name: 'a', restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
    assert.deepEqual(row(podTable, crash).slice(1, 4), ['0/2', 'CrashLoopBackOff', '4']);
  });
  it('shows Pending, Completed and Terminating', () => {
    assert.equal(row(podTable, base({ phase: 'Pending' }))[2], 'Pending');
    const done = base({ phase: 'Succeeded', containerStatuses: [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] });
    assert.equal(row(podTable, done)[2], 'Completed');
    const term = base({ phase: 'Running' }, { metadata: meta('web-1', 300, { deletionTimestamp: ago(1) }) });
    assert.equal(row(podTable, term)[2], 'Terminating');
  });
  it('shows init progress', () => {
    const pod: KubeObject = {
      metadata: meta('p'),
      spec: { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] },
      status: { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 0 } } }, { name: 'i2', state: { running: {} } }] },
    };
    assert.equal(row(podTable, pod)[2], 'Init:1/2');
    const failing: KubeObject = { ...pod, status: { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } };
    assert.equal(row(podTable, failing)[2], 'Init:CrashLoopBackOff');
  });
  it('counts readiness gates', () => {
    const pod = base({ phase: 'Running', conditions: [{ type: 'g1', status: 'True' }] }, { spec: { containers: [{ name: 'a' }], readinessGates: [{ conditionType: 'g1' }, { conditionType: 'g2' }] } });
    assert.equal(row(podTable, pod)[8], '1/2');
  });
});

describe('nodeTable', () => {
  it('renders status, roles and wide columns', () => {
    const node: KubeObject = {
      metadata: { name: 'n1', creationTimestamp: ago(2 * 86400), labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/master': '' } },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '192.168.1.10' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12', kernelVersion: '6.1.0', containerRuntimeVersion: 'tkube://0.1.0' },
      },
    };
    assert.deepEqual(row(nodeTable, node), ['n1', 'Ready,SchedulingDisabled', 'control-plane,master', '2d', 'v1.32.0', '192.168.1.10', '<none>', 'Debian GNU/Linux 12', '6.1.0', 'tkube://0.1.0']);
    assert.deepEqual(row(nodeTable, { metadata: { name: 'n2' }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }).slice(0, 3), ['n2', 'NotReady', '<none>']);
    assert.equal(row(nodeTable, { metadata: { name: 'n3' } })[1], 'Unknown');
  });
});

describe('serviceTable', () => {
  it('renders NodePort and LoadBalancer services', () => {
    const svc: KubeObject = {
      metadata: meta('web', 10),
      spec: { type: 'NodePort', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], selector: { app: 'web' }, ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] },
    };
    assert.deepEqual(row(serviceTable, svc), ['web', 'NodePort', '10.96.0.10', '<none>', '80:30080/TCP,443/TCP', '10s', 'app=web']);
    const lb: KubeObject = { metadata: meta('lb'), spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.11'], ports: [] }, status: { loadBalancer: {} } };
    assert.deepEqual(row(serviceTable, lb).slice(3, 5), ['<pending>', '<none>']);
    const ext: KubeObject = { metadata: meta('ext'), spec: { type: 'ExternalName', externalName: 'example.com' } };
    assert.deepEqual(row(serviceTable, ext).slice(2, 4), ['<none>', 'example.com']);
  });
});

describe('workload tables', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }, { name: 'side', image: 'busybox' }] } };
  it('deployment', () => {
    const d: KubeObject = { metadata: meta('web', 3600), spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    assert.deepEqual(row(deploymentTable, d), ['web', '2/3', 3, 2, '60m', 'nginx,side', 'nginx:1.27,busybox', 'app=web']);
  });
  it('replicaset and rc', () => {
    const rs: KubeObject = { metadata: meta('web-abc'), spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template }, status: { replicas: 2, readyReplicas: 1 } };
    assert.deepEqual(row(replicaSetTable, rs), ['web-abc', 2, 2, 1, '60s', 'nginx,side', 'nginx:1.27,busybox', 'app=web']);
    const rc: KubeObject = { metadata: meta('rc'), spec: { replicas: 1, selector: { app: 'web' }, template }, status: { replicas: 0 } };
    assert.deepEqual(row(replicationControllerTable, rc), ['rc', 1, 0, 0, '60s', 'nginx,side', 'nginx:1.27,busybox', 'app=web']);
  });
  it('daemonset and controllerrevision', () => {
    const ds: KubeObject = { metadata: meta('ds'), spec: { selector: { matchLabels: { app: 'ds' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'c', image: 'i' }] } } }, status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 } };
    assert.deepEqual(row(daemonSetTable, ds), ['ds', 2, 2, 1, 2, 1, 'kubernetes.io/os=linux', '60s', 'c', 'i', 'app=ds']);
    const cr: KubeObject = { metadata: { ...meta('web-7d9'), ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] }, revision: 2 };
    assert.deepEqual(row(controllerRevisionTable, cr), ['web-7d9', 'statefulset.apps/web', 2, '60s']);
  });
});

describe('batch tables', () => {
  it('job status, completions and duration', () => {
    const job: KubeObject = {
      metadata: meta('pi', 600),
      spec: { completions: 1, parallelism: 1, template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } }, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } } },
      status: { succeeded: 1, startTime: ago(600), completionTime: ago(420), conditions: [{ type: 'Complete', status: 'True' }] },
    };
    assert.deepEqual(row(jobTable, job), ['pi', 'Complete', '1/1', '3m', '10m', 'pi', 'perl', 'batch.kubernetes.io/controller-uid=u1']);
    const running: KubeObject = { metadata: meta('q'), spec: { parallelism: 3 }, status: { startTime: ago(30) } };
    assert.deepEqual(row(jobTable, running).slice(1, 4), ['Running', '0/1 of 3', '30s']);
    const suspended: KubeObject = { metadata: meta('s'), spec: { completions: 2 }, status: { conditions: [{ type: 'Suspended', status: 'True' }] } };
    assert.deepEqual(row(jobTable, suspended).slice(1, 4), ['Suspended', '0/2', '']);
  });
  it('cronjob', () => {
    const cj: KubeObject = { metadata: meta('cj'), spec: { schedule: '*/1 * * * *', suspend: false, jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } }, status: {} };
    assert.deepEqual(row(cronJobTable, cj), ['cj', '*/1 * * * *', '<none>', 'False', 0, '<none>', '60s', 'c', 'busybox', '<none>']);
  });
});

describe('config and cluster tables', () => {
  it('configmap, secret, namespace', () => {
    assert.deepEqual(row(configMapTable, { metadata: meta('cm'), data: { a: '1', b: '2' }, binaryData: { c: '' } }), ['cm', 3, '60s']);
    assert.deepEqual(row(secretTable, { metadata: meta('s'), type: 'Opaque', data: { a: 'eA==' } }), ['s', 'Opaque', 1, '60s']);
    assert.deepEqual(row(namespaceTable, { metadata: meta('ns'), status: { phase: 'Active' } }), ['ns', 'Active', '60s']);
  });
  it('resourcequota', () => {
    const q: KubeObject = { metadata: meta('q'), status: { hard: { pods: '10', 'limits.cpu': '2', 'requests.cpu': '1' }, used: { pods: '1', 'requests.cpu': '0' } } };
    assert.deepEqual(row(resourceQuotaTable, q), ['q', '60s', 'pods: 1/10, requests.cpu: 0/1', 'limits.cpu: 0/2']);
  });
  it('events', () => {
    const ev: KubeObject = {
      metadata: meta('web-1.17f'),
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{nginx}' },
      reason: 'Pulled',
      message: 'Successfully pulled image\n',
      type: 'Normal',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: ago(300),
      lastTimestamp: ago(30),
      count: 2,
    };
    assert.deepEqual(row(eventTable, ev), ['30s', 'Normal', 'Pulled', 'pod/web-1', 'spec.containers{nginx}', 'kubelet, n1', 'Successfully pulled image', '5m', 2, 'web-1.17f']);
  });
  it('endpoints and ingress', () => {
    const ep: KubeObject = { metadata: meta('web'), subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }] };
    assert.deepEqual(row(endpointsTable, ep), ['web', '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...', '60s']);
    assert.equal(row(endpointsTable, { metadata: meta('x') })[1], '<none>');
    const ing: KubeObject = { metadata: meta('ing'), spec: { ingressClassName: 'nginx', rules: [{ host: 'a.com' }, {}], tls: [{}] }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } };
    assert.deepEqual(row(ingressTable, ing), ['ing', 'nginx', 'a.com', '1.2.3.4', '80, 443', '60s']);
  });
  it('storage', () => {
    const pvc: KubeObject = { metadata: meta('data'), spec: { volumeName: 'pv1', storageClassName: 'standard', volumeMode: 'Filesystem' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } };
    assert.deepEqual(row(persistentVolumeClaimTable, pvc), ['data', 'Bound', 'pv1', '1Gi', 'RWO', 'standard', '<unset>', '60s', 'Filesystem']);
    const sc: KubeObject = { metadata: { ...meta('standard'), annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' };
    assert.deepEqual(row(storageClassTable, sc), ['standard (default)', 'rancher.io/local-path', 'Delete', 'WaitForFirstConsumer', false, '60s']);
  });
  it('rbac', () => {
    assert.deepEqual(row(roleTable, { metadata: { name: 'r', creationTimestamp: '2026-01-01T00:00:00Z' } }), ['r', '2026-01-01T00:00:00Z']);
    const rb: KubeObject = { metadata: meta('rb'), roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'User', name: 'alice' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }] };
    assert.deepEqual(row(roleBindingTable, rb), ['rb', 'ClusterRole/view', '60s', 'alice', '', 'ns:sa']);
  });
  it('hpa', () => {
    const hpa: KubeObject = {
      apiVersion: 'autoscaling/v2',
      metadata: meta('web'),
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 5, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
      status: { currentReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 10 } } }] },
    };
    assert.deepEqual(row(horizontalPodAutoscalerTable, hpa), ['web', 'Deployment/web', 'cpu: 10%/50%', '1', 5, 2, '60s']);
    assert.equal(hpaTargets({ ...hpa, status: {} }), 'cpu: <unknown>/50%');
    // Every metric type as upstream prints it, statuses matched by position ({type: ""} for one not read).
    const metrics = [
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '1000m' } } },
      { type: 'External', external: { metric: { name: 'queue' }, target: { type: 'AverageValue', averageValue: '30' } } },
      { type: 'Object', object: { describedObject: { kind: 'Ingress', name: 'i' }, metric: { name: 'hits' }, target: { type: 'Value', value: '2k' } } },
    ];
    const statuses = [
      { type: 'Resource', resource: { name: 'memory', current: { averageValue: '100Mi' } } },
      { type: '' },
      { type: 'External', external: { metric: { name: 'queue' }, current: { averageValue: '7' } } },
      { type: 'Object', object: { describedObject: { kind: 'Ingress', name: 'i' }, metric: { name: 'hits' }, current: { value: '1500' } } },
    ];
    const many = (specs: unknown[], st: unknown[]): KubeObject => ({ ...hpa, spec: { ...(hpa['spec'] as object), metrics: specs }, status: { currentMetrics: st } });
    assert.equal(hpaTargets(many(metrics.slice(0, 2), statuses.slice(0, 2))), 'memory: 100Mi/512Mi, <unknown>/1');
    assert.equal(hpaTargets(many(metrics.slice(2), statuses.slice(2))), '7/30 (avg), 1500/2k');
    assert.equal(hpaTargets(many(metrics, statuses)), 'memory: 100Mi/512Mi, <unknown>/1 + 2 more...');
    assert.equal(hpaTargets(many([], [])), '<none>');
  });
});
