import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../api/meta/types.js';
import { BUILTIN_RESOURCES } from '../../../api/scheme.js';
import { toCauses, type FieldError } from '../../../api/validation/field-error.js';
import type { ResourceStrategy, StrategyContext } from '../strategy.js';
import { BUILTIN_STRATEGIES } from './index.js';

const NOW = new Date('2026-01-10T12:00:00Z');
const CREATE: StrategyContext = { now: NOW, subresource: '' };
const STATUS: StrategyContext = { now: NOW, subresource: 'status' };

function strategy(key: string): ResourceStrategy {
  const s = BUILTIN_STRATEGIES.get(key);
  assert.ok(s, `strategy for ${key}`);
  return s;
}

function create(key: string, o: KubeObject): { obj: KubeObject; errors: string[] } {
  const s = strategy(key);
  const obj = structuredClone(o);
  obj.metadata = { uid: 'uid-1', creationTimestamp: NOW.toISOString(), ...obj.metadata };
  s.prepareForCreate?.(obj, CREATE);
  return { obj, errors: messages(s.validate?.(obj) ?? []) };
}

function update(key: string, o: KubeObject, old: KubeObject, ctx: StrategyContext = CREATE): { obj: KubeObject; errors: string[] } {
  const s = strategy(key);
  const obj = structuredClone(o);
  s.prepareForUpdate?.(obj, old, ctx);
  return { obj, errors: messages(s.validateUpdate?.(obj, old) ?? []) };
}

function messages(errs: FieldError[]): string[] {
  return toCauses(errs).map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
}

const pod = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }], ...extra },
});

describe('BUILTIN_STRATEGIES', () => {
  it('covers every writable built-in resource that needs policy', () => {
    const skip = new Set(['/bindings', '/componentstatuses']);
    for (const r of BUILTIN_RESOURCES) {
      const key = `${r.storageGroup ?? r.group}/${r.storageResource ?? r.resource}`;
      if (skip.has(key) || !r.verbs.includes('list')) continue;
      assert.ok(BUILTIN_STRATEGIES.has(key), key);
    }
  });
  it('every table has one cell per column for an empty object', () => {
    for (const [key, s] of BUILTIN_STRATEGIES) {
      if (!s.table) continue;
      assert.equal(s.table.cells({ metadata: { name: 'x' } }, NOW).length, s.table.columns.length, key);
    }
  });
});

describe('podStrategy', () => {
  it('defaults a pod as upstream does and sets the initial status', () => {
    const { obj, errors } = create('/pods', pod());
    assert.deepEqual(errors, []);
    const spec = obj['spec'] as Record<string, unknown>;
    assert.equal(spec['restartPolicy'], 'Always');
    assert.equal(spec['dnsPolicy'], 'ClusterFirst');
    assert.equal(spec['schedulerName'], 'default-scheduler');
    assert.equal(spec['terminationGracePeriodSeconds'], 30);
    assert.equal(spec['enableServiceLinks'], true);
    assert.equal(spec['priority'], 0);
    assert.equal(spec['preemptionPolicy'], 'PreemptLowerPriority');
    assert.deepEqual(spec['securityContext'], {});
    const c = (spec['containers'] as Record<string, unknown>[])[0]!;
    assert.equal(c['imagePullPolicy'], 'Always');
    assert.equal(c['terminationMessagePath'], '/dev/termination-log');
    assert.equal(c['terminationMessagePolicy'], 'File');
    assert.deepEqual(c['resources'], {});
    assert.deepEqual(c['ports'], [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(obj['status'], { phase: 'Pending', qosClass: 'BestEffort' });
  });
  it('picks IfNotPresent for tagged images and computes QoS', () => {
    const { obj } = create('/pods', pod({ containers: [{ name: 'a', image: 'registry:5000/nginx:1.27', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }));
    const c = ((obj['spec'] as Record<string, unknown>)['containers'] as Record<string, unknown>[])[0]!;
    assert.equal(c['imagePullPolicy'], 'IfNotPresent');
    assert.deepEqual((c['resources'] as Record<string, unknown>)['requests'], { cpu: '1', memory: '1Gi' });
    assert.equal((obj['status'] as Record<string, unknown>)['qosClass'], 'Guaranteed');
  });
  it('reports missing containers, images and bad names with upstream messages', () => {
    assert.deepEqual(create('/pods', { metadata: { namespace: 'default' }, spec: {} }).errors, [
      'metadata.name: Required value: name or generateName is required',
      'spec.containers: Required value',
    ]);
    const bad = create('/pods', pod({ containers: [{ name: 'a' }, { name: 'a', image: 'x' }], restartPolicy: 'Sometimes' })).errors;
    assert.ok(bad.includes('spec.containers[0].image: Required value'), bad.join('\n'));
    assert.ok(bad.includes('spec.containers[1].name: Duplicate value: "a"'), bad.join('\n'));
    assert.ok(bad.includes('spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'), bad.join('\n'));
    const badName = create('/pods', { ...pod(), metadata: { name: 'Web_1', namespace: 'default' } }).errors;
    assert.deepEqual(badName, [
      `metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
  });
  it('rejects requests above limits', () => {
    const errs = create('/pods', pod({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] })).errors;
    assert.deepEqual(errs, ['spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1']);
  });
  it('allows image changes but forbids other spec changes on update', () => {
    const { obj: old } = create('/pods', pod());
    const img = structuredClone(old);
    ((img['spec'] as Record<string, unknown>)['containers'] as Record<string, unknown>[])[0]!['image'] = 'nginx:2';
    assert.deepEqual(update('/pods', img, old).errors, []);
    const ports = structuredClone(old);
    ((ports['spec'] as Record<string, unknown>)['containers'] as Record<string, unknown>[])[0]!['ports'] = [];
    const errs = update('/pods', ports, old).errors;
    assert.equal(errs.length, 1);
    assert.ok(errs[0]!.startsWith('spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`'));
  });
  it('keeps status on main updates and spec on status updates', () => {
    const { obj: old } = create('/pods', pod());
    const main = structuredClone(old);
    main['status'] = { phase: 'Running' };
    assert.deepEqual(update('/pods', main, old).obj['status'], { phase: 'Pending', qosClass: 'BestEffort' });
    const st = structuredClone(old);
    st['status'] = { phase: 'Running' };
    (st['spec'] as Record<string, unknown>)['nodeName'] = 'sneaky';
    const { obj, errors } = update('/pods', st, old, STATUS);
    assert.deepEqual(errors, []);
    assert.deepEqual(obj['status'], { phase: 'Running' });
    assert.equal((obj['spec'] as Record<string, unknown>)['nodeName'], undefined);
  });
  it('adds ephemeral containers only through their subresource', () => {
    const { obj: old } = create('/pods', pod());
    const next = structuredClone(old);
    (next['spec'] as Record<string, unknown>)['ephemeralContainers'] = [{ name: 'debug', image: 'busybox', targetContainerName: 'nginx' }];
    const viaMain = update('/pods', next, old);
    assert.deepEqual(viaMain.errors, []);
    assert.equal((viaMain.obj['spec'] as Record<string, unknown>)['ephemeralContainers'], undefined);
    const viaSub = update('/pods', next, old, { now: NOW, subresource: 'ephemeralcontainers' });
    assert.deepEqual(viaSub.errors, []);
    assert.equal(((viaSub.obj['spec'] as Record<string, unknown>)['ephemeralContainers'] as unknown[]).length, 1);
    const withPorts = structuredClone(next);
    ((withPorts['spec'] as Record<string, unknown>)['ephemeralContainers'] as Record<string, unknown>[])[0]!['ports'] = [{ containerPort: 1 }];
    assert.deepEqual(update('/pods', withPorts, old, { now: NOW, subresource: 'ephemeralcontainers' }).errors, ['spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container']);
  });
  it('keeps existing ephemeral containers as they are, and the metadata the subresource may not change', () => {
    const { obj: old } = create('/pods', pod());
    const added = structuredClone(old);
    (added['spec'] as Record<string, unknown>)['ephemeralContainers'] = [{ name: 'debug', image: 'busybox' }];
    added.metadata = { ...added.metadata, labels: { sneaky: 'yes' } };
    const withOne = update('/pods', added, old, { now: NOW, subresource: 'ephemeralcontainers' });
    assert.deepEqual(withOne.errors, []);
    assert.deepEqual(withOne.obj.metadata?.labels, old.metadata?.labels);
    const changed = structuredClone(withOne.obj);
    ((changed['spec'] as Record<string, unknown>)['ephemeralContainers'] as Record<string, unknown>[])[0]!['image'] = 'busybox:1.35';
    assert.deepEqual(update('/pods', changed, withOne.obj, { now: NOW, subresource: 'ephemeralcontainers' }).errors, [
      'spec.ephemeralContainers[debug]: Forbidden: existing ephemeral containers "debug" may not be changed',
    ]);
    const removed = structuredClone(withOne.obj);
    (removed['spec'] as Record<string, unknown>)['ephemeralContainers'] = [];
    assert.deepEqual(update('/pods', removed, withOne.obj, { now: NOW, subresource: 'ephemeralcontainers' }).errors, [
      'spec.ephemeralContainers: Forbidden: existing ephemeral containers "debug" may not be removed',
    ]);
  });
  it('exposes selectable fields', () => {
    const { obj } = create('/pods', pod({ nodeName: 'n1' }));
    const f = strategy('/pods').selectableFields!(obj);
    assert.equal(f['spec.nodeName'], 'n1');
    assert.equal(f['status.phase'], 'Pending');
    assert.equal(f['spec.restartPolicy'], 'Always');
  });
});

describe('deploymentStrategy', () => {
  const deploy = (selector: Record<string, string>, labels: Record<string, string>): KubeObject => ({
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: selector }, template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  });
  it('defaults replicas, strategy and limits', () => {
    const { obj, errors } = create('apps/deployments', deploy({ app: 'web' }, { app: 'web' }));
    assert.deepEqual(errors, []);
    const spec = obj['spec'] as Record<string, unknown>;
    assert.equal(spec['replicas'], 1);
    assert.deepEqual(spec['strategy'], { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    assert.equal(spec['revisionHistoryLimit'], 10);
    assert.equal(spec['progressDeadlineSeconds'], 600);
    assert.deepEqual(obj['status'], {});
  });
  it('rejects a selector that does not match the template', () => {
    const { errors } = create('apps/deployments', deploy({ app: 'web' }, { app: 'x' }));
    assert.deepEqual(errors, ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`']);
    assert.deepEqual(create('apps/deployments', { metadata: { name: 'd', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'c', image: 'i' }] } } } }).errors, ['spec.selector: Required value']);
  });
  it('makes the selector immutable', () => {
    const { obj: old } = create('apps/deployments', deploy({ app: 'web' }, { app: 'web', v: '1' }));
    const next = structuredClone(old);
    (next['spec'] as Record<string, unknown>)['selector'] = { matchLabels: { v: '1' } };
    assert.deepEqual(update('apps/deployments', next, old).errors, ['spec.selector: Invalid value: {"matchLabels":{"v":"1"}}: field is immutable']);
  });
});

describe('serviceStrategy', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec });
  it('defaults and validates', () => {
    const { obj, errors } = create('/services', svc({ selector: { app: 'web' }, ports: [{ port: 80 }] }));
    assert.deepEqual(errors, []);
    const spec = obj['spec'] as Record<string, unknown>;
    assert.equal(spec['type'], 'ClusterIP');
    assert.equal(spec['sessionAffinity'], 'None');
    assert.deepEqual(spec['ports'], [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    assert.equal(spec['internalTrafficPolicy'], 'Cluster');
    // The IP family policy is the allocator's to settle (it knows the cluster's ranges), as upstream's.
    assert.equal(spec['ipFamilyPolicy'], undefined);
    assert.equal(spec['clusterIP'], undefined);
    assert.deepEqual(create('/services', svc({ selector: { app: 'web' } })).errors, ['spec.ports: Required value']);
    assert.deepEqual(create('/services', svc({ clusterIP: 'None' })).errors, []);
    assert.deepEqual(create('/services', svc({ type: 'Weird', ports: [{ port: 80 }] })).errors, ['spec.type: Unsupported value: "Weird": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']);
  });
  it('carries clusterIP over and refuses to change it', () => {
    const old = create('/services', svc({ ports: [{ port: 80 }], type: 'NodePort' })).obj;
    const oldSpec = old['spec'] as Record<string, unknown>;
    oldSpec['clusterIP'] = '10.96.0.5';
    oldSpec['clusterIPs'] = ['10.96.0.5'];
    (oldSpec['ports'] as Record<string, unknown>[])[0]!['nodePort'] = 30080;
    const replaced = update('/services', svc({ ports: [{ port: 80 }], type: 'NodePort' }), old);
    assert.deepEqual(replaced.errors, []);
    assert.equal((replaced.obj['spec'] as Record<string, unknown>)['clusterIP'], '10.96.0.5');
    assert.equal(((replaced.obj['spec'] as Record<string, unknown>)['ports'] as Record<string, unknown>[])[0]!['nodePort'], 30080);
    const changed = update('/services', svc({ ports: [{ port: 80 }], clusterIP: '10.96.0.9', type: 'NodePort' }), old);
    assert.deepEqual(changed.errors, ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.9"}: may not change once set']);
    const patched = structuredClone(old);
    (patched['spec'] as Record<string, unknown>)['clusterIP'] = '10.96.0.9';
    assert.deepEqual(update('/services', patched, old).errors, ['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.9"}: may not change once set']);
  });
});

describe('service type changes', () => {
  it('drops node ports left over from NodePort', () => {
    const old: KubeObject = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30080 }] } };
    const next = structuredClone(old);
    (next['spec'] as Record<string, unknown>)['type'] = 'ClusterIP';
    const { obj, errors } = update('/services', next, old);
    assert.deepEqual(errors, []);
    const spec = obj['spec'] as Record<string, unknown>;
    assert.equal((spec['ports'] as Record<string, unknown>[])[0]!['nodePort'], undefined);
    assert.equal(spec['externalTrafficPolicy'], undefined);
  });

  it('drops the health check node port a LoadBalancer no longer needs (policy Local → Cluster)', () => {
    const old: KubeObject = { metadata: { name: 'lb', namespace: 'default' }, spec: { type: 'LoadBalancer', clusterIP: '10.96.0.6', clusterIPs: ['10.96.0.6'], sessionAffinity: 'None', externalTrafficPolicy: 'Local', healthCheckNodePort: 31234, ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30081 }] } };
    const next = structuredClone(old);
    (next['spec'] as Record<string, unknown>)['externalTrafficPolicy'] = 'Cluster';
    const { obj, errors } = update('/services', next, old);
    assert.deepEqual(errors, []);
    assert.equal((obj['spec'] as Record<string, unknown>)['healthCheckNodePort'], undefined);
    const kept = structuredClone(old);
    delete (kept['spec'] as Record<string, unknown>)['healthCheckNodePort'];
    assert.equal((update('/services', kept, old).obj['spec'] as Record<string, unknown>)['healthCheckNodePort'], 31234, 'an apply without it keeps it');
  });
});

describe('namespaceStrategy', () => {
  it('adds the kubernetes finalizer, Active phase and name label', () => {
    const { obj, errors } = create('/namespaces', { metadata: { name: 'dev' } });
    assert.deepEqual(errors, []);
    assert.deepEqual(obj['spec'], { finalizers: ['kubernetes'] });
    assert.deepEqual(obj['status'], { phase: 'Active' });
    assert.equal(obj.metadata?.labels?.['kubernetes.io/metadata.name'], 'dev');
    assert.deepEqual(create('/namespaces', { metadata: { name: 'a.b' } }).errors.length, 1);
    assert.deepEqual(create('/namespaces', { metadata: { name: 'x', namespace: 'y' } }).errors, ['metadata.namespace: Forbidden: not allowed on this type']);
  });
  it('changes finalizers only through finalize', () => {
    const old = create('/namespaces', { metadata: { name: 'dev' } }).obj;
    const next = structuredClone(old);
    next['spec'] = { finalizers: [] };
    assert.deepEqual(update('/namespaces', next, old).obj['spec'], { finalizers: ['kubernetes'] });
    assert.deepEqual(update('/namespaces', next, old, { now: NOW, subresource: 'finalize' }).obj['spec'], { finalizers: [] });
  });
});

describe('jobStrategy', () => {
  it('generates the selector from the uid', () => {
    const { obj, errors } = create('batch/jobs', { metadata: { name: 'pi', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }], restartPolicy: 'Never' } } } });
    assert.deepEqual(errors, []);
    const spec = obj['spec'] as Record<string, unknown>;
    assert.deepEqual(spec['selector'], { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } });
    const labels = ((spec['template'] as Record<string, unknown>)['metadata'] as Record<string, unknown>)['labels'];
    assert.deepEqual(labels, { 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'uid-1', 'batch.kubernetes.io/controller-uid': 'uid-1' });
    assert.equal(spec['completions'], 1);
    assert.equal(spec['backoffLimit'], 6);
    assert.equal(spec['completionMode'], 'NonIndexed');
    assert.equal(spec['suspend'], false);
  });
  it('requires OnFailure or Never', () => {
    const { errors } = create('batch/jobs', { metadata: { name: 'pi', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'pi', image: 'perl' }] } } } });
    assert.deepEqual(errors, ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"']);
  });
});

describe('config strategies', () => {
  it('folds secret stringData into data', () => {
    const { obj, errors } = create('/secrets', { metadata: { name: 's', namespace: 'default' }, stringData: { user: 'admin' } });
    assert.deepEqual(errors, []);
    assert.deepEqual(obj['data'], { user: 'YWRtaW4=' });
    assert.equal(obj['type'], 'Opaque');
    assert.equal(obj['stringData'], undefined);
  });
  it('locks immutable configmaps', () => {
    const old: KubeObject = { metadata: { name: 'c', namespace: 'default' }, data: { a: '1' }, immutable: true };
    const next: KubeObject = { ...structuredClone(old), data: { a: '2' } };
    assert.deepEqual(update('/configmaps', next, old).errors, ['data: Forbidden: field is immutable when `immutable` is set']);
    assert.deepEqual(create('/configmaps', { metadata: { name: 'c', namespace: 'default' }, data: { 'bad key': 'x' } }).errors.length, 1);
  });
});

describe('rbac strategies', () => {
  it('requires verbs', () => {
    const { errors } = create('rbac.authorization.k8s.io/roles', { metadata: { name: 'r', namespace: 'default' }, rules: [{ apiGroups: [''], resources: ['pods'] }] });
    assert.deepEqual(errors, ['rules[0].verbs: Required value: verbs must contain at least one value']);
    assert.deepEqual(create('rbac.authorization.k8s.io/clusterroles', { metadata: { name: 'system:x' }, rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] }).errors, []);
  });
});

describe('event selectable fields', () => {
  it('exposes involvedObject fields', () => {
    const f = strategy('/events').selectableFields!({ metadata: { name: 'e' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u' }, type: 'Normal', source: { component: 'kubelet' } });
    assert.equal(f['involvedObject.uid'], 'u');
    assert.equal(f['involvedObject.name'], 'web');
    assert.equal(f['source'], 'kubelet');
  });
});
