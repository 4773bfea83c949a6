import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createStrategicMergePatch } from './create-strategic-merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { PatchError } from './patch-error.js';
import type { JsonObject } from './json-value.js';
import { builtinSchemas } from '../schema/schema-registry.js';

const POD = 'io.k8s.api.core.v1.Pod';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const lookup = builtinSchemas();

interface Case {
  readonly name: string;
  readonly typeName: string;
  readonly original: JsonObject;
  readonly modified: JsonObject;
  readonly want: JsonObject;
}

const podSpec = (spec: JsonObject): JsonObject => ({ kind: 'Pod', spec });

void describe('createStrategicMergePatch()', () => {
  const cases: readonly Case[] = [
    { name: 'no change gives an empty patch', typeName: POD, original: podSpec({ nodeName: 'n' }), modified: podSpec({ nodeName: 'n' }), want: {} },
    {
      name: 'a changed scalar and a removed field',
      typeName: POD,
      original: { kind: 'Pod', metadata: { name: 'p', labels: { a: '1', b: '2' } } },
      modified: { kind: 'Pod', metadata: { name: 'p', labels: { a: '9' } } },
      want: { metadata: { labels: { a: '9', b: null } } },
    },
    {
      name: 'a changed container image is patched by name with the element order',
      typeName: POD,
      original: podSpec({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] }),
      modified: podSpec({ containers: [{ name: 'a', image: 'a:2' }, { name: 'b', image: 'b:1' }] }),
      want: { spec: { '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'a', image: 'a:2' }] } },
    },
    {
      name: 'a removed container becomes a delete directive',
      typeName: POD,
      original: podSpec({ containers: [{ name: 'a', image: 'a' }, { name: 'b', image: 'b' }] }),
      modified: podSpec({ containers: [{ name: 'a', image: 'a' }] }),
      want: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'b', $patch: 'delete' }] } },
    },
    {
      name: 'a reorder alone sends only the element order',
      typeName: POD,
      original: podSpec({ containers: [{ name: 'a' }, { name: 'b' }] }),
      modified: podSpec({ containers: [{ name: 'b' }, { name: 'a' }] }),
      want: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } },
    },
    {
      name: 'a finalizer removed from the set uses $deleteFromPrimitiveList',
      typeName: POD,
      original: { kind: 'Pod', metadata: { finalizers: ['x', 'y'] } },
      modified: { kind: 'Pod', metadata: { finalizers: ['y', 'z'] } },
      want: { metadata: { finalizers: ['z'], '$deleteFromPrimitiveList/finalizers': ['x'], '$setElementOrder/finalizers': ['y', 'z'] } },
    },
    {
      name: 'a list without a strategy is replaced',
      typeName: POD,
      original: podSpec({ tolerations: [{ key: 'a' }] }),
      modified: podSpec({ tolerations: [{ key: 'a' }, { key: 'b' }] }),
      want: { spec: { tolerations: [{ key: 'a' }, { key: 'b' }] } },
    },
    {
      name: 'a retainKeys field lists the keys it keeps',
      typeName: DEPLOYMENT,
      original: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      modified: { spec: { strategy: { type: 'Recreate' } } },
      want: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } },
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const before = structuredClone([c.original, c.modified]);
      const patch = createStrategicMergePatch(c.original, c.modified, c.typeName, lookup);
      assert.deepEqual(patch, c.want);
      assert.deepEqual([c.original, c.modified], before, 'inputs must not be mutated');
      assert.deepEqual(applyStrategicMergePatch(c.original, patch, c.typeName, lookup), c.modified, 'the patch must round-trip');
    });
  }

  void it('round-trips a realistic Deployment change', () => {
    const original: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a'] },
      spec: {
        replicas: 2,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } },
              { name: 'log', image: 'log:1' },
            ],
            volumes: [{ name: 'data', emptyDir: {} }],
          },
        },
      },
    };
    const modified: JsonObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web', tier: 'fe' }, finalizers: ['b', 'a'] },
      spec: {
        replicas: 3,
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels: { app: 'web' }, annotations: { restarted: 'now' } },
          spec: {
            containers: [
              { name: 'proxy', image: 'proxy:1' },
              { name: 'app', image: 'app:2', env: [{ name: 'B', value: '2' }], ports: [{ containerPort: 8080 }], resources: { limits: { cpu: '2', memory: '1Gi' } } },
            ],
            volumes: [{ name: 'data', hostPath: { path: '/d' } }],
          },
        },
      },
    };
    const patch = createStrategicMergePatch(original, modified, DEPLOYMENT, lookup);
    assert.deepEqual(applyStrategicMergePatch(original, patch, DEPLOYMENT, lookup), modified);
  });

  void it('rejects a merging list whose items lack the merge key', () => {
    assert.throws(
      () => createStrategicMergePatch(podSpec({ containers: [{ image: 'a' }] }), podSpec({ containers: [{ image: 'b' }] }), POD, lookup),
      (err: unknown) => err instanceof PatchError && /lacks its merge key "name"/.test(err.message),
    );
  });
});
