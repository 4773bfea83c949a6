import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspectFields } from './field-validation.js';
import { findTypeError } from './type-check.js';
import { builtinSchemas } from './schema-registry.js';

const lookup = builtinSchemas();

describe('findTypeError()', () => {
  const cases: { name: string; type: string; obj: unknown; want?: string; path?: string }[] = [
    { name: 'accepts a valid ConfigMap', type: 'io.k8s.api.core.v1.ConfigMap', obj: { metadata: { name: 'x', labels: { a: 'b' } }, data: { k: 'v' } } },
    {
      name: 'a number in a string map',
      type: 'io.k8s.api.core.v1.ConfigMap',
      obj: { data: { a: 1 } },
      want: 'json: cannot unmarshal number into Go struct field ConfigMap.data of type string',
      path: 'data.a',
    },
    {
      name: 'a string where an integer belongs, nested in a list',
      type: 'io.k8s.api.core.v1.Pod',
      obj: { spec: { containers: [{ name: 'c', ports: [{ containerPort: '80' }] }] } },
      want: 'json: cannot unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32',
      path: 'spec.containers[0].ports[0].containerPort',
    },
    {
      name: 'a fraction where an integer belongs',
      type: 'io.k8s.api.apps.v1.Deployment',
      obj: { spec: { replicas: 1.5 } },
      want: 'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32',
    },
    { name: 'an object where a list belongs', type: 'io.k8s.api.core.v1.Pod', obj: { spec: { containers: { name: 'c' } } }, want: 'json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container' },
    { name: 'int-or-string and quantities accept numbers and strings', type: 'io.k8s.api.apps.v1.Deployment', obj: { spec: { strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } }, template: { spec: { containers: [{ name: 'c', resources: { limits: { cpu: 1, memory: '1Gi' } } }] } } } } },
    { name: 'null is the zero value', type: 'io.k8s.api.core.v1.Pod', obj: { metadata: { labels: null }, spec: { containers: null } } },
    { name: 'a bool as a string', type: 'io.k8s.api.core.v1.Pod', obj: { spec: { hostNetwork: 'true' } }, want: 'json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool' },
    {
      name: 'a mismatch after unknown and empty fields, in a map of structs',
      type: 'io.k8s.api.core.v1.Pod',
      obj: { metadata: { bogus: 1, labels: {} }, spec: { volumes: [], nodeSelector: { a: 'b' }, overhead: { cpu: {} }, containers: [{ name: 'c', extra: true, env: [{ name: 'E', valueFrom: { fieldRef: { fieldPath: 3 } } }] }] } },
      want: 'json: cannot unmarshal object into Go struct field PodSpec.spec.overhead of type Quantity',
      path: 'spec.overhead.cpu',
    },
    {
      name: 'JSON-schema unions decode anything, a wrong type around them does not',
      type: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
      obj: { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: { type: 'object', items: [{ type: 1 }], default: 5, additionalProperties: false } } }], names: { plural: 7 } } },
      want: 'json: cannot unmarshal number into Go struct field CustomResourceDefinitionNames.spec.names.plural of type string',
      path: 'spec.names.plural',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = findTypeError(c.obj, c.type, lookup);
      if (c.want === undefined) assert.equal(got, undefined);
      else {
        assert.equal(got?.message, c.want);
        if (c.path) assert.equal(got?.path, c.path);
      }
      // inspectFields finds the same mismatch in its one walk, pruning or not.
      for (const prune of [false, true]) assert.deepEqual(inspectFields(structuredClone(c.obj), c.type, lookup, { prune, checkTypes: true }).mismatch, got);
    });
  }
});
