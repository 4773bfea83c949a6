import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appView, clusterView } from '../../api/kubedirector/kubedirector-types.js';
import type { KubeObject } from '../../api/meta/types.js';
import { clusterStatus } from './cluster-status.js';
import { buildConfigMeta } from './configmeta.js';
import { desiredState } from './desired-state.js';
import { roleSuffix, statefulSetName } from './names.js';

const app = appView({
  metadata: { name: 'kd-hello', namespace: 'ns' },
  spec: {
    label: { name: 'Hello' },
    distroID: 'tkube/kd-hello',
    version: '1.0',
    defaultImageRepoTag: 'hello:1',
    services: [
      { id: 'ui', label: { name: 'UI' }, endpoint: { urlScheme: 'http', port: 8080 } },
      { id: 'api', endpoint: { port: 9090 } },
    ],
    roles: [
      { id: 'controller', cardinality: '1' },
      { id: 'worker', cardinality: '0+', persistDirs: ['/data'] },
    ],
    config: {
      selectedRoles: ['controller', 'worker'],
      roleServices: [
        { roleID: 'controller', serviceIDs: ['ui'] },
        { roleID: 'worker', serviceIDs: ['api'] },
      ],
    },
  },
});

function cluster(workers: number, extra: Record<string, unknown> = {}): ReturnType<typeof clusterView> {
  return clusterView({
    apiVersion: 'kubedirector.hpe.com/v1beta1',
    kind: 'KubeDirectorCluster',
    metadata: { name: 'hello', namespace: 'ns', uid: 'uid-1' },
    spec: {
      app: 'kd-hello',
      ...extra,
      roles: [
        { id: 'controller', members: 1, resources: { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } } },
        { id: 'worker', members: workers, resources: { limits: { cpu: '1', memory: '1Gi' } }, storage: { size: '1Gi', storageClassName: 'local-path' }, env: [{ name: 'X', value: 'y' }] },
      ],
    },
  });
}

const spec = (o: KubeObject | undefined): Record<string, unknown> => (o?.['spec'] ?? {}) as Record<string, unknown>;

void describe('KubeDirector desired state', () => {
  void it('names StatefulSets <cluster>-<role>-<suffix>, stable per cluster uid, different for another uid', () => {
    const s = statefulSetName('hello', 'uid-1', 'worker');
    assert.match(s, /^hello-worker-[a-z0-9]{5}$/);
    assert.equal(s, statefulSetName('hello', 'uid-1', 'worker'));
    assert.notEqual(roleSuffix('uid-1', 'worker'), roleSuffix('uid-2', 'worker'));
  });

  void it('makes one StatefulSet per role with image, resources, env, configmeta mount and storage when asked', () => {
    const d = desiredState(cluster(2), app);
    assert.equal(d.statefulSets.length, 2);
    const [ctl, wrk] = d.statefulSets;
    assert.equal(spec(ctl)['replicas'], 1);
    assert.equal(spec(wrk)['replicas'], 2);
    assert.equal(spec(ctl)['serviceName'], 'hello');
    const tpl = (o: KubeObject | undefined): Record<string, unknown> => (spec(o)['template'] as { spec: { containers: Record<string, unknown>[] } }).spec.containers[0] ?? {};
    assert.equal(tpl(ctl)['image'], 'hello:1');
    assert.deepEqual(tpl(ctl)['resources'], { requests: { cpu: '50m', memory: '32Mi' }, limits: { cpu: '200m', memory: '64Mi' } });
    assert.deepEqual(tpl(ctl)['volumeMounts'], [{ name: 'configmeta', mountPath: '/etc/guestconfig', readOnly: true }]);
    assert.deepEqual((tpl(wrk)['volumeMounts'] as unknown[])[1], { name: 'kd-storage', mountPath: '/data', subPath: 'data' });
    assert.ok((tpl(wrk)['env'] as { name: string }[]).some((e) => e.name === 'X'));
    assert.equal(spec(ctl)['volumeClaimTemplates'], undefined);
    assert.deepEqual((spec(wrk)['volumeClaimTemplates'] as { spec: unknown }[])[0]?.spec, {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '1Gi' } },
      storageClassName: 'local-path',
    });
    for (const o of [d.configMap, d.clusterService, ...d.statefulSets, ...d.memberServices]) {
      assert.deepEqual(o.metadata?.ownerReferences?.[0], { apiVersion: 'kubedirector.hpe.com/v1beta1', kind: 'KubeDirectorCluster', name: 'hello', uid: 'uid-1', controller: true, blockOwnerDeletion: true });
      assert.equal(o.metadata?.labels?.['kubedirector.hpe.com/kdcluster'], 'hello');
    }
  });

  void it('makes a headless cluster Service and a Service per member with its role endpoints, of the asked type', () => {
    const d = desiredState(cluster(2, { serviceType: 'LoadBalancer' }), app);
    assert.equal(spec(d.clusterService)['clusterIP'], 'None');
    const ctl = statefulSetName('hello', 'uid-1', 'controller');
    const wrk = statefulSetName('hello', 'uid-1', 'worker');
    assert.deepEqual(
      d.memberServices.map((s) => [s.metadata?.name, spec(s)['type'], (spec(s)['ports'] as { port: number }[]).map((p) => p.port), spec(s)['selector']]),
      [
        [`s-${ctl}-0`, 'LoadBalancer', [8080], { 'statefulset.kubernetes.io/pod-name': `${ctl}-0` }],
        [`s-${wrk}-0`, 'LoadBalancer', [9090], { 'statefulset.kubernetes.io/pod-name': `${wrk}-0` }],
        [`s-${wrk}-1`, 'LoadBalancer', [9090], { 'statefulset.kubernetes.io/pod-name': `${wrk}-1` }],
      ],
    );
    assert.equal(spec(desiredState(cluster(0), app).memberServices[0])['type'], 'NodePort');
  });

  void it('describes the roles, members and services in the configmeta', () => {
    const meta = buildConfigMeta(cluster(2), app) as { cluster: { name: string }; nodegroups: { '1': { roles: Record<string, { hostnames: string[]; fqdns: string[] }> } }; services: Record<string, Record<string, { endpoints: string[] }>> };
    const wrk = statefulSetName('hello', 'uid-1', 'worker');
    assert.equal(meta.cluster.name, 'hello');
    assert.deepEqual(meta.nodegroups['1'].roles['worker']?.hostnames, [`${wrk}-0`, `${wrk}-1`]);
    assert.equal(meta.nodegroups['1'].roles['worker']?.fqdns[1], `${wrk}-1.hello.ns.svc.cluster.local`);
    assert.deepEqual(meta.services['api']?.['worker']?.endpoints, [`${wrk}-0.hello.ns.svc.cluster.local:9090`, `${wrk}-1.hello.ns.svc.cluster.local:9090`]);
    const d = desiredState(cluster(2), app);
    assert.deepEqual(JSON.parse((d.configMap['data'] as Record<string, string>)['configmeta.json'] ?? ''), meta);
  });

  void it('reports members create_pending until their pods run and are ready, then configured; extra pods delete_pending', () => {
    const ctl = statefulSetName('hello', 'uid-1', 'controller');
    const wrk = statefulSetName('hello', 'uid-1', 'worker');
    const pod = (name: string, phase: string, ready: boolean): KubeObject => ({ metadata: { name }, status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
    const first = clusterStatus(cluster(2), app, [pod(`${ctl}-0`, 'Running', true), pod(`${wrk}-0`, 'Pending', false)], undefined);
    assert.equal(first['state'], 'creating');
    const states = (s: Record<string, unknown>): string[][] => (s['roles'] as { members: { pod: string; state: string }[] }[]).flatMap((r) => r.members.map((m) => [m.pod, m.state]));
    assert.deepEqual(states(first), [
      [`${ctl}-0`, 'configured'],
      [`${wrk}-0`, 'create_pending'],
      [`${wrk}-1`, 'create_pending'],
    ]);
    const all = [pod(`${ctl}-0`, 'Running', true), pod(`${wrk}-0`, 'Running', true), pod(`${wrk}-1`, 'Running', true)];
    assert.equal(clusterStatus(cluster(2), app, all, 'creating')['state'], 'configured');
    const shrinking = clusterStatus(cluster(1), app, all, 'configured');
    assert.equal(shrinking['state'], 'updating');
    assert.deepEqual(states(shrinking)[2], [`${wrk}-1`, 'delete_pending']);
  });
});
