import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { toCauses } from '../../api/validation/field-error.js';
import { validateCustomResourceDefinition, validateCustomResourceDefinitionUpdate } from './crd-validation.js';

function crd(overrides: { name?: string; spec?: Record<string, unknown>; version?: Record<string, unknown> } = {}): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: overrides.name ?? 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } }, ...overrides.version }],
      ...overrides.spec,
    },
  };
}

function messages(obj: KubeObject): string[] {
  return toCauses(validateCustomResourceDefinition(obj)).map((c) => `${c.field}: ${c.message}`);
}

test('a good CRD is valid', () => {
  assert.deepEqual(messages(crd()), []);
});

test('name, group, names and scope are checked with upstream wording', () => {
  assert.deepEqual(messages(crd({ name: 'things.example.com' })), ['metadata.name: Invalid value: "things.example.com": must be spec.names.plural+"."+spec.group']);
  assert.ok(messages(crd({ name: 'widgets.example', spec: { group: 'example' } })).includes('spec.group: Invalid value: "example": should be a domain with at least one dot'));
  assert.ok(messages(crd({ spec: { scope: 'Global' } })).includes('spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'));
  assert.ok(messages(crd({ spec: { names: { plural: 'widgets' } } })).includes('spec.names.kind: Required value'));
});

test('exactly one storage version; schemas required and structural; rules compile; columns typed', () => {
  assert.ok(messages(crd({ version: { storage: false } })).some((m) => m.endsWith('must have exactly one version marked as storage version')));
  assert.deepEqual(messages(crd({ version: { schema: undefined } })), ['spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required']);
  assert.deepEqual(messages(crd({ version: { schema: { openAPIV3Schema: { type: 'object', properties: { spec: { properties: { a: { type: 'string' } } } } } } } })), [
    'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields',
  ]);
  assert.equal(messages(crd({ version: { schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-validations': [{ rule: '1 +' }] } } } })).length, 1);
  assert.deepEqual(messages(crd({ version: { additionalPrinterColumns: [{ name: 'X', type: 'float', jsonPath: '.spec.x' }] } })), [
    'spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "float": supported values: "boolean", "date", "integer", "number", "string"',
  ]);
});

test('scope and group are immutable', () => {
  const errs = toCauses(validateCustomResourceDefinitionUpdate(crd({ spec: { scope: 'Cluster' } }), crd())).map((c) => `${c.field}: ${c.message}`);
  assert.deepEqual(errs, ['spec.scope: Invalid value: "Cluster": field is immutable']);
});
