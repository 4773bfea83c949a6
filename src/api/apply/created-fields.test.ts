import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinSchemas } from '../schema/schema-registry.js';
import type { JsonObject } from '../patch/json-value.js';
import { DEDUCED } from './apply-schema.js';
import type { ApplySchema } from './apply-schema.js';
import { builtinApplySchema } from './builtin-apply-schema.js';
import { compareFields } from './compare-fields.js';
import { createdFieldsV1, NOT_DIRECT } from './created-fields.js';
import { STRIP_SET } from './managed-fields.js';

const POD = builtinApplySchema(builtinSchemas(), 'io.k8s.api.core.v1.Pod');
const DEPLOYMENT = builtinApplySchema(builtinSchemas(), 'io.k8s.api.apps.v1.Deployment');
const SERVICE = builtinApplySchema(builtinSchemas(), 'io.k8s.api.core.v1.Service');

/** The FieldSet path the direct encoding replaces: what a create adds, less STRIP_SET, encoded. */
function viaFieldSet(obj: JsonObject, schema: ApplySchema): Record<string, unknown> | undefined {
  const set = compareFields({}, obj, schema).added.difference(STRIP_SET);
  return set.isEmpty() ? undefined : set.toFieldsV1();
}

/** Same fieldsV1, key order included (it is what is stored and sent). */
function assertSame(obj: JsonObject, schema: ApplySchema): void {
  const direct = createdFieldsV1(obj, schema);
  assert.notEqual(direct, NOT_DIRECT);
  assert.equal(JSON.stringify(direct), JSON.stringify(viaFieldSet(obj, schema)));
}

/** A pod as clients send it (the shape of bench/bench-pod.ts). */
const clientPod = (name: string): JsonObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'bench', labels: { app: 'bench', tier: 'backend' }, annotations: { 'bench.tkube.io/padding': 'xxxx' } },
  spec: {
    containers: [{
      name: 'app', image: 'registry.example/bench/app:1.0.0', command: ['/bin/sh', '-c', 'sleep 3600'],
      ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
      env: [{ name: 'BENCH_MODE', value: 'foundation' }, { name: 'BENCH_LEVEL', value: 'info' }],
      resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '100m', memory: '64Mi' } },
    }],
    restartPolicy: 'Always', terminationGracePeriodSeconds: 5,
  },
});

const admittedPod = (): JsonObject => {
  const pod = clientPod('p-1');
  const spec = pod['spec'] as JsonObject;
  // What admission and defaulting add to a created pod: a projected token volume, its mount, tolerations.
  spec['volumes'] = [{ name: 'kube-api-access-x', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3607 } }, { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }], defaultMode: 420 } }];
  spec['tolerations'] = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }];
  spec['nodeSelector'] = {};
  const containers = spec['containers'] as JsonObject[];
  containers[0]!['volumeMounts'] = [{ name: 'kube-api-access-x', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
  containers.push({ name: 'side', image: 'busybox', ports: [{ containerPort: 9090 }, { containerPort: 53, protocol: 'UDP' }], args: [] });
  const md = pod['metadata'] as JsonObject;
  Object.assign(md, { uid: 'u-1', creationTimestamp: '2026-01-01T00:00:00Z', generation: 1, finalizers: ['a/b', 'c/d'], ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'ux' }] });
  pod['status'] = null;
  return pod;
};

describe('createdFieldsV1', () => {
  it('encodes a created pod as the FieldSet path does, key order included', () => {
    assertSame(admittedPod(), POD);
    assertSame(clientPod('p-2'), POD);
    assert.ok(JSON.stringify(viaFieldSet(admittedPod(), POD)).includes('"k:{\\"containerPort\\":53,\\"protocol\\":\\"UDP\\"}"'));
  });

  it('matches on Deployments, Services, and objects without a schema', () => {
    const deployment: JsonObject = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', labels: { app: 'a' }, annotations: {} },
      spec: { replicas: 3, selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'B', value: '1' }, { name: 'A' }] }] } }, strategy: {} },
    };
    assertSame(deployment, DEPLOYMENT);
    const service: JsonObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }], selector: { a: 'b' }, clusterIPs: ['10.0.0.1'] } };
    assertSame(service, SERVICE);
    const custom: JsonObject = { apiVersion: 'x.io/v1', kind: 'Thing', metadata: { name: 't', namespace: 'n' }, spec: { list: [1, { a: null }, []], empty: {}, nil: null, deep: { a: { b: {} } } } };
    assertSame(custom, DEDUCED);
  });

  it('owns nothing for an object of type and server-set metadata only', () => {
    const bare: JsonObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'n', uid: 'u', creationTimestamp: 'now' } };
    assert.equal(createdFieldsV1(bare, DEDUCED), undefined);
    assert.equal(viaFieldSet(bare, DEDUCED), undefined);
    assertSame({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, DEDUCED);
    assertSame({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: {} }, DEDUCED);
  });

  it('leaves two items with the same key to the FieldSet path', () => {
    const pod = admittedPod();
    const containers = (pod['spec'] as JsonObject)['containers'] as JsonObject[];
    containers.push({ name: 'app', image: 'twice' });
    assert.equal(createdFieldsV1(pod, POD), NOT_DIRECT);
  });

  it('gives list items of one shape the same encoding, and items of another shape their own', () => {
    // Items are remembered by shape: the same shape with other values, then shapes that differ only in a list key,
    // a nested key, an empty object, a null, or a duplicate nested key, each encoded as the FieldSet path does.
    const pod = (mutate: (container: JsonObject) => void): JsonObject => {
      const p = admittedPod();
      mutate(((p['spec'] as JsonObject)['containers'] as JsonObject[])[0]!);
      return p;
    };
    const first = createdFieldsV1(admittedPod(), POD);
    const again = createdFieldsV1(pod((c) => Object.assign(c, { image: 'other:2', command: ['x'] })), POD);
    assert.equal(JSON.stringify(again), JSON.stringify(first));
    assertSame(pod((c) => ((c['ports'] as JsonObject[])[0]!['containerPort'] = 8081)), POD);
    assertSame(pod((c) => ((c['env'] as JsonObject[])[0]!['valueFrom'] = { fieldRef: { fieldPath: 'metadata.name' } })), POD);
    assertSame(pod((c) => (c['securityContext'] = {})), POD);
    assertSame(pod((c) => (c['securityContext'] = null)), POD);
    assertSame(pod((c) => (c['resources'] = { limits: {} })), POD);
    assertSame(pod((c) => (c['x-unknown'] = { a: 1 })), POD);
    const duplicate = (): JsonObject => pod((c) => (c['env'] as JsonObject[]).push({ name: 'BENCH_MODE', value: 'again' }));
    assert.equal(createdFieldsV1(duplicate(), POD), NOT_DIRECT);
    assert.equal(createdFieldsV1(duplicate(), POD), NOT_DIRECT, 'a remembered shape with duplicate keys');
    assertSame(admittedPod(), POD);
  });
});
