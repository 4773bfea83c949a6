import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { findUnknownFields } from './field-validation.js';
import { builtinSchemas } from './schema-registry.js';

const lookup = builtinSchemas();

describe('findUnknownFields()', () => {
  it('accepts the Pod that `kubectl run` sends as JSON', () => {
    const pod: unknown = JSON.parse(readFileSync(new URL('../protobuf/testdata/kubectl-run-pod.json', import.meta.url), 'utf8'));
    assert.deepEqual(findUnknownFields(pod, 'io.k8s.api.core.v1.Pod', lookup), []);
  });

  it("knows an ephemeral container's inlined fields (what kubectl debug sends is kept whole when pruning)", () => {
    const debug = { name: 'dbg', image: 'busybox', command: ['sh'], stdin: true, tty: true, targetContainerName: 'app' };
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'i' }], ephemeralContainers: [{ ...debug }] } };
    assert.deepEqual(findUnknownFields(pod, 'io.k8s.api.core.v1.Pod', lookup, { prune: true }), []);
    assert.deepEqual(pod.spec.ephemeralContainers, [debug]);
  });

  it('reports unknown fields with upstream paths', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x', labels: { a: 'b' }, bogus: 1 },
      spec: {
        replica: 3,
        template: {
          spec: {
            containers: [{ name: 'a', image: 'i' }, { name: 'b', image: 'i', imagePullPolicyy: 'Always', ports: [{ containerPort: 1, hostport: 2 }] }],
            volumes: [{ name: 'v', emptyDir: { medium: 'Memory', size: 1 } }],
          },
        },
      },
    };
    assert.deepEqual(findUnknownFields(deployment, 'io.k8s.api.apps.v1.Deployment', lookup), [
      'metadata.bogus',
      'spec.replica',
      'spec.template.spec.containers[1].imagePullPolicyy',
      'spec.template.spec.containers[1].ports[0].hostport',
      'spec.template.spec.volumes[0].emptyDir.size',
    ]);
  });

  it('treats special types as opaque and walks CRD schemas through the union types', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'w.example.com', managedFields: [{ manager: 'm', fieldsV1: { 'f:spec': {} } }] },
      spec: {
        versions: [
          {
            name: 'v1',
            schema: {
              openAPIV3Schema: {
                type: 'object',
                default: { anything: true },
                properties: { a: { type: 'array', items: { type: 'string', typo: 1 } }, b: { additionalProperties: { type: 'string' } } },
              },
            },
          },
        ],
      },
    };
    assert.deepEqual(findUnknownFields(crd, 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition', lookup), [
      'spec.versions[0].schema.openAPIV3Schema.properties.a.items.typo',
    ]);
    const rc = { apiVersion: 'apps/v1', kind: 'ControllerRevision', data: { whatever: 1 }, revision: 1 };
    assert.deepEqual(findUnknownFields(rc, 'io.k8s.api.apps.v1.ControllerRevision', lookup), []);
  });

  it('returns nothing for unknown types and non-objects', () => {
    assert.deepEqual(findUnknownFields({ a: 1 }, 'io.example.Nope', lookup), []);
    assert.deepEqual(findUnknownFields('text', 'io.k8s.api.core.v1.Pod', lookup), []);
  });

  it('with prune, reshapes an object as a typed round trip would', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', annotations: {}, labels: { a: 'b' }, finalizers: [], bogus: 1 },
      spec: { containers: [{ name: 'c', image: 'i', env: [], ports: null, resources: {}, extra: true }], nodeSelector: {} },
    };
    assert.deepEqual(findUnknownFields(pod, 'io.k8s.api.core.v1.Pod', lookup, { prune: true }), ['metadata.bogus', 'spec.containers[0].extra']);
    assert.deepEqual(pod, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', labels: { a: 'b' } },
      // resources is a struct, not a list or map: kept, as upstream prints `resources: {}`.
      spec: { containers: [{ name: 'c', image: 'i', resources: {} }] },
    });
  });
});
