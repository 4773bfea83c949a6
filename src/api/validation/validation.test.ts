import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../meta/types.js';
import { fieldErrorMessage, toCauses, type FieldError } from './field-error.js';
import { validateAnnotations } from './generic.js';
import { isDNS1035Label, isDNS1123Label, isIPv6, isValidIP, isValidPortName, nameIsDNSSubdomain, pathSegmentName } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { parseQuantity } from './quantity.js';
import { validateCronJob, validateCronSchedule } from './validate-batch.js';
import { validateNode, validateNodeUpdate, validatePriorityClass } from './validate-cluster.js';
import { validateConfigMap, validateSecret, validateSecretUpdate } from './validate-config.js';
import { validateIngress } from './validate-networking.js';
import { validateHorizontalPodAutoscaler, validatePodDisruptionBudget } from './validate-policy.js';
import { validateService } from './validate-service.js';
import { validateStorageClassUpdate } from './validate-storage.js';
import { validateDaemonSet, validateDeployment, validateReplicationController, validateStatefulSet, validateStatefulSetUpdate } from './validate-workloads.js';

function msgs(errs: FieldError[]): string[] {
  return toCauses(errs).map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
}

const template = (labels: Record<string, string>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  metadata: { labels },
  spec: { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', containers: [{ name: 'c', image: 'i', imagePullPolicy: 'Always', terminationMessagePolicy: 'File' }], ...extra },
});

describe('names', () => {
  it('checks DNS labels and subdomains with upstream texts', () => {
    assert.deepEqual(isDNS1123Label('my-name'), []);
    assert.deepEqual(isDNS1123Label('My'), [
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ]);
    assert.equal(isDNS1035Label('1abc').length, 1);
    assert.deepEqual(nameIsDNSSubdomain('web-', true), []);
    assert.equal(nameIsDNSSubdomain('web-', false).length, 1);
    assert.deepEqual(pathSegmentName('system:admin', false), []);
    assert.deepEqual(pathSegmentName('a/b', false), ["may not contain '/'"]);
  });
  it('checks ports and IPs', () => {
    assert.deepEqual(isValidPortName('http'), []);
    assert.ok(isValidPortName('80').includes('must contain at least one letter (a-z)'));
    assert.deepEqual(isValidIP('10.0.0.1'), []);
    assert.equal(isIPv6('2001:db8::1'), true);
    assert.equal(isIPv6('::ffff:10.0.0.1'), true);
    assert.equal(isIPv6('1:2:3:4:5:6:7:8:9'), false);
    assert.deepEqual(isValidIP('10.0.0.256'), ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
  });
  it('parses quantities', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('2Gi'), 2 * 2 ** 30);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('abc'), undefined);
  });
});

describe('validateObjectMeta()', () => {
  it('requires name or generateName, namespace by scope', () => {
    assert.deepEqual(msgs(validateObjectMeta({}, { namespaced: true })), ['metadata.name: Required value: name or generateName is required', 'metadata.namespace: Required value']);
    assert.deepEqual(msgs(validateObjectMeta({ generateName: 'web-', namespace: 'ns' }, { namespaced: true })), []);
    assert.deepEqual(msgs(validateObjectMeta({ name: 'n', namespace: 'x' }, { namespaced: false })), ['metadata.namespace: Forbidden: not allowed on this type']);
  });
  it('checks labels and annotations', () => {
    const errs = msgs(validateObjectMeta({ name: 'n', namespace: 'ns', labels: { 'a/b/c': 'x', ok: 'bad value' } }, { namespaced: true }));
    assert.equal(errs.length, 2);
    assert.ok(errs[0]!.startsWith('metadata.labels: Invalid value: "a/b/c": a qualified name must consist of'));
    assert.deepEqual(msgs(validateAnnotations({ a: 'x'.repeat(262145) }, 'metadata.annotations')), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
    assert.deepEqual(msgs(validateAnnotations({ 'Example.com/Upper': 'x' }, 'metadata.annotations')), []);
  });
  it('refuses name changes and finalizers added during deletion', () => {
    const old = { name: 'a', namespace: 'ns', uid: 'u', deletionTimestamp: '2026-01-01T00:00:00Z' };
    const errs = msgs(validateObjectMetaUpdate({ ...old, name: 'b', finalizers: ['example.com/f'] }, old, { namespaced: true }));
    assert.deepEqual(errs, [
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/f"}',
      'metadata.name: Invalid value: "b": field is immutable',
    ]);
  });
});

describe('workload validation', () => {
  it('deployment strategy rules', () => {
    const d: KubeObject = {
      spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }), strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }, progressDeadlineSeconds: 600 },
    };
    assert.deepEqual(msgs(validateDeployment(d)), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0']);
    const recreate: KubeObject = { spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }), strategy: { type: 'Recreate', rollingUpdate: {} } } };
    assert.deepEqual(msgs(validateDeployment(recreate)), ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]);
    const empty: KubeObject = { spec: { selector: {}, template: template({}), strategy: { type: 'Recreate' } } };
    assert.deepEqual(msgs(validateDeployment(empty)), ['spec.selector: Invalid value: {}: empty selector is invalid for deployment']);
    const never: KubeObject = { spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }, { restartPolicy: 'Never' }), strategy: { type: 'Recreate' } } };
    assert.deepEqual(msgs(validateDeployment(never)), ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']);
  });
  it('replication controller selector map', () => {
    assert.deepEqual(msgs(validateReplicationController({ spec: { selector: { a: 'b' }, template: template({ a: 'c' }) } })), [
      'spec.template.metadata.labels: Invalid value: map[string]string{"a":"c"}: `selector` does not match template `labels`',
    ]);
  });
  it('daemonset update strategy and statefulset update', () => {
    const ds: KubeObject = { spec: { selector: { matchLabels: { a: 'b' } }, template: template({ a: 'b' }), updateStrategy: { type: 'Sometimes' } } };
    assert.deepEqual(msgs(validateDaemonSet(ds)), ['spec.updateStrategy.type: Unsupported value: "Sometimes": supported values: "OnDelete", "RollingUpdate"']);
    const old: KubeObject = { spec: { replicas: 1, serviceName: 'a' } };
    assert.deepEqual(msgs(validateStatefulSetUpdate({ spec: { replicas: 3, serviceName: 'a' } }, old)), []);
    assert.equal(msgs(validateStatefulSetUpdate({ spec: { replicas: 1, serviceName: 'b' } }, old)).length, 1);
  });
  it('statefulset containers mount volumeClaimTemplates by name, other unknown volumes are refused', () => {
    const mounting = (name: string): Record<string, unknown> => {
      const t = template({ a: 'b' });
      ((t['spec'] as { containers: Record<string, unknown>[] }).containers[0] ?? {})['volumeMounts'] = [{ name, mountPath: '/data' }];
      return t;
    };
    const sts = (name: string): KubeObject => ({ spec: { replicas: 1, serviceName: 's', selector: { matchLabels: { a: 'b' } }, template: mounting(name), volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: {} }] } });
    assert.deepEqual(msgs(validateStatefulSet(sts('data'))), []);
    assert.match(msgs(validateStatefulSet(sts('other')))[0] ?? '', /volumeMounts\[0\]\.name: Not found: "other"/);
  });
});

describe('pod scheduling constraints', () => {
  it('checks affinity and topology spread', async () => {
    const { validatePodSpec } = await import('./validate-pod.js');
    const spec = (extra: Record<string, unknown>): Record<string, unknown> => ({ ...(template({}).spec as Record<string, unknown>), ...extra });
    assert.deepEqual(msgs(validatePodSpec(spec({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] } } } }), 'spec')), [
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    ]);
    assert.deepEqual(msgs(validatePodSpec(spec({ topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] }), 'spec')), [
      'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
    ]);
  });
});

describe('service validation', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ spec: { type: 'ClusterIP', sessionAffinity: 'None', ...spec } });
  it('ports', () => {
    assert.deepEqual(
      msgs(validateService(svc({ ports: [{ port: 80, protocol: 'TCP' }, { port: 70000, protocol: 'HTTP', name: 'b' }] }))),
      [
        'spec.ports[0].name: Required value',
        'spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
        'spec.ports[1].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
      ],
    );
    assert.deepEqual(msgs(validateService(svc({ type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 70000 }] }))), [
      'spec.ports[0].nodePort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ]);
    assert.deepEqual(msgs(validateService(svc({ ports: [{ port: 80, protocol: 'TCP', nodePort: 30001 }] }))), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
    assert.deepEqual(msgs(validateService(svc({ clusterIP: 'abc', ports: [{ port: 80, protocol: 'TCP' }] }))), ['spec.clusterIPs[0]: Invalid value: "abc": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
    assert.deepEqual(msgs(validateService({ spec: { type: 'ExternalName', externalName: 'example.com.', sessionAffinity: 'None' } })), []);
  });
  it('trafficDistribution', () => {
    assert.deepEqual(msgs(validateService(svc({ ports: [{ port: 80, protocol: 'TCP' }], trafficDistribution: 'PreferClose' }))), []);
    assert.deepEqual(msgs(validateService(svc({ ports: [{ port: 80, protocol: 'TCP' }], trafficDistribution: 'Nearby' }))), ['spec.trafficDistribution: Unsupported value: "Nearby": supported values: "PreferClose"']);
  });
  it('load-balancer source ranges and the health check node port', () => {
    const lb = (extra: Record<string, unknown>): KubeObject => svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP' }], ...extra });
    assert.deepEqual(msgs(validateService(lb({ loadBalancerSourceRanges: [' 10.0.0.0/8', '2001:db8::/64', '192.0.2.1/24'] }))), []);
    assert.deepEqual(msgs(validateService(lb({ loadBalancerSourceRanges: ['10.0.0.0', '10.0.0.0/33'] }))), [
      'spec.LoadBalancerSourceRanges[0]: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.LoadBalancerSourceRanges[1]: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    ]);
    assert.deepEqual(msgs(validateService(svc({ ports: [{ port: 80, protocol: 'TCP' }], loadBalancerSourceRanges: ['10.0.0.0/8'] }))), ["spec.loadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'"]);
    const annotated = { ...lb({}), metadata: { annotations: { 'service.beta.kubernetes.io/load-balancer-source-ranges': '10.0.0.0/8, nope' } } };
    assert.deepEqual(msgs(validateService(annotated)), ['metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
    assert.deepEqual(msgs(validateService(lb({ externalTrafficPolicy: 'Local', healthCheckNodePort: 31000 }))), []);
    assert.deepEqual(msgs(validateService(lb({ healthCheckNodePort: 31000 }))), ["spec.healthCheckNodePort: Invalid value: 31000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"]);
    assert.deepEqual(msgs(validateService(lb({ externalTrafficPolicy: 'Local', healthCheckNodePort: 70000 }))), ['spec.healthCheckNodePort: Invalid value: 70000: must be between 1 and 65535, inclusive']);
  });
});

describe('config validation', () => {
  it('configmap size and keys', () => {
    assert.deepEqual(msgs(validateConfigMap({ data: { a: 'x'.repeat(1024 * 1024 + 1) } })), ['Too long: may not be more than 1048576 bytes']);
    assert.deepEqual(msgs(validateConfigMap({ data: { a: 'x' }, binaryData: { a: 'eA==' } })), ['data[a]: Invalid value: "a": duplicate of key present in binaryData']);
  });
  it('secret types and type immutability', () => {
    assert.deepEqual(msgs(validateSecret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } })), ['data[tls.key]: Required value']);
    assert.deepEqual(msgs(validateSecret({ type: 'Opaque', data: { a: '!!' } })), ['data[a]: Invalid value: "<value omitted>": must be base64-encoded']);
    assert.deepEqual(msgs(validateSecretUpdate({ type: 'b' }, { type: 'a' })), ['type: Invalid value: "b": field is immutable']);
  });
});

describe('other kinds', () => {
  it('cron schedules', () => {
    assert.deepEqual(validateCronSchedule('*/5 * * * *', 's'), []);
    assert.deepEqual(validateCronSchedule('@hourly', 's'), []);
    assert.deepEqual(msgs(validateCronSchedule('', 'spec.schedule')), ['spec.schedule: Required value']);
    assert.equal(validateCronSchedule('* * *', 's').length, 1);
    assert.deepEqual(msgs(validateCronSchedule('TZ=UTC * * * * *', 'spec.schedule')), ['spec.schedule: Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
    const cj: KubeObject = { metadata: { name: 'c' }, spec: { schedule: '* * * * *', concurrencyPolicy: 'Allow', jobTemplate: { spec: { template: template({}, { restartPolicy: 'OnFailure' }) } } } };
    assert.deepEqual(msgs(validateCronJob(cj)), []);
  });
  it('nodes', () => {
    assert.deepEqual(msgs(validateNode({ spec: { taints: [{ key: 'k', effect: 'Bad' }] } })), ['spec.taints[0].effect: Unsupported value: "Bad": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"']);
    assert.equal(validateNodeUpdate({ spec: { podCIDRs: ['10.0.1.0/24'] } }, { spec: { podCIDRs: ['10.0.0.0/24'] } }).length, 1);
    assert.equal(validateNodeUpdate({ spec: { podCIDRs: ['10.0.1.0/24'] } }, { spec: {} }).length, 0);
  });
  it('priority classes, PDBs, HPAs, ingresses, storage classes', () => {
    assert.deepEqual(msgs(validatePriorityClass({ metadata: { name: 'high' }, value: 2_000_000_000 })), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
    assert.deepEqual(msgs(validatePodDisruptionBudget({ spec: { minAvailable: 1, maxUnavailable: 1 } })).length, 1);
    assert.deepEqual(msgs(validateHorizontalPodAutoscaler({ spec: { scaleTargetRef: { kind: 'Deployment', name: 'w' }, minReplicas: 5, maxReplicas: 2 } })), ['spec.minReplicas: Invalid value: 5: must be less than or equal to maxReplicas']);
    // Scale to zero needs a metric that can wake the target (beyond upstream's gate).
    const target = { kind: 'Deployment', name: 'w' };
    assert.deepEqual(msgs(validateHorizontalPodAutoscaler({ spec: { scaleTargetRef: target, minReplicas: 0, maxReplicas: 2, metrics: [{ type: 'Resource' }] } })), ['spec.minReplicas: Forbidden: must specify at least one Object or External metric to support scaling to zero replicas']);
    assert.deepEqual(msgs(validateHorizontalPodAutoscaler({ spec: { scaleTargetRef: target, minReplicas: 0, maxReplicas: 2, metrics: [{ type: 'External' }] } })), []);
    assert.deepEqual(msgs(validateHorizontalPodAutoscaler({ spec: { scaleTargetRef: target, maxReplicas: 2, behavior: { scaleDown: { selectPolicy: 'Fast', policies: [{ type: 'Pods', value: 0, periodSeconds: 1801 }] } } } })), [
      'spec.behavior.scaleDown.selectPolicy: Unsupported value: "Fast": supported values: "Disabled", "Max", "Min"',
      'spec.behavior.scaleDown.policies[0].value: Invalid value: 0: must be greater than zero',
      'spec.behavior.scaleDown.policies[0].periodSeconds: Invalid value: 1801: must be less than or equal to 1800',
    ]);
    const ing: KubeObject = { spec: { rules: [{ host: 'a.com', http: { paths: [{ path: '/', backend: { service: { name: 's', port: { number: 80 } } } }] } }] } };
    assert.deepEqual(msgs(validateIngress(ing)), ['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified']);
    assert.deepEqual(msgs(validateStorageClassUpdate({ provisioner: 'b' }, { provisioner: 'a' })), ['provisioner: Forbidden: updates to provisioner are forbidden.']);
  });
});

describe('service validation: clusterIPs and ipFamilies (dual-stack)', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP' }], ...spec } });
  const msgs = (errs: FieldError[]): string[] => errs.map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
  it('matches upstream for mismatched clusterIPs and ipFamilies', () => {
    assert.deepEqual(msgs(validateService(svc({ clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5', 'fd00:43::5'], ipFamilies: ['IPv4', 'IPv6'] }))), []);
    assert.deepEqual(msgs(validateService(svc({ clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.6'] }))), ['spec.clusterIPs: Invalid value: []string{"10.43.0.6"}: first value must match `clusterIP`']);
    assert.deepEqual(msgs(validateService(svc({ clusterIPs: ['10.43.0.6'] }))), ['spec.clusterIPs: Invalid value: []string{"10.43.0.6"}: must be empty when `clusterIP` is not specified']);
    assert.deepEqual(msgs(validateService(svc({ clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5', '10.43.0.6'] }))), ['spec.clusterIPs: Invalid value: []string{"10.43.0.5", "10.43.0.6"}: may specify no more than one IP for each IP family']);
    assert.deepEqual(msgs(validateService(svc({ clusterIP: '10.43.0.5', clusterIPs: ['10.43.0.5'], ipFamilies: ['IPv6'] }))), ['spec.clusterIPs[0]: Invalid value: "10.43.0.5": expected an IPv6 value as indicated by `ipFamilies[0]`']);
    assert.deepEqual(msgs(validateService(svc({ ipFamilies: ['IPv4', 'IPv4'] }))), ['spec.ipFamilies[1]: Duplicate value: "IPv4"']);
    assert.deepEqual(msgs(validateService(svc({ ipFamilies: ['IPv5'] }))), ['spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"']);
    assert.deepEqual(msgs(validateService(svc({ clusterIP: 'None', clusterIPs: ['None', '10.43.0.5'] }))), ['spec.clusterIPs: Invalid value: []string{"None", "10.43.0.5"}: \'None\' must be the first and only value']);
  });
});
