import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GroupVersionKind, SchemaLookup, TypeSchema } from '../../api/schema/types.js';
import { ComponentSchemas } from './component-schemas.js';

const TYPES: TypeSchema[] = [
  {
    name: 'io.example.v1.Widget',
    description: 'A widget.',
    gvk: [{ group: 'example.io', version: 'v1', kind: 'Widget' }],
    fields: [
      { name: 'metadata', protoNumber: 1, type: { kind: 'ref', ref: 'io.example.v1.Meta' } },
      { name: 'spec', protoNumber: 2, type: { kind: 'ref', ref: 'io.example.v1.WidgetSpec' }, description: 'What is wanted.' },
      { name: 'next', protoNumber: 3, type: { kind: 'ref', ref: 'io.example.v1.Widget' }, nullable: true } as TypeSchema['fields'][number],
    ],
  },
  {
    name: 'io.example.v1.Meta',
    fields: [
      { name: 'name', protoNumber: 1, type: { kind: 'scalar', scalar: 'string' }, required: true },
      { name: 'created', protoNumber: 2, type: { kind: 'special', special: 'Time' } },
      { name: 'labels', protoNumber: 3, type: { kind: 'map', values: { kind: 'scalar', scalar: 'string' } }, mapType: 'granular' },
    ],
  },
  {
    name: 'io.example.v1.WidgetSpec',
    fields: [
      { name: 'count', protoNumber: 1, type: { kind: 'scalar', scalar: 'int32' } },
      { name: 'size', protoNumber: 2, type: { kind: 'scalar', scalar: 'int64' } },
      { name: 'blob', protoNumber: 3, type: { kind: 'scalar', scalar: 'bytes' } },
      { name: 'ratio', protoNumber: 4, type: { kind: 'scalar', scalar: 'double' } },
      { name: 'on', protoNumber: 5, type: { kind: 'scalar', scalar: 'bool' } },
      {
        name: 'parts',
        protoNumber: 6,
        type: { kind: 'array', items: { kind: 'ref', ref: 'io.example.v1.Part' } },
        patchStrategy: 'merge',
        patchMergeKey: 'name',
        listType: 'map',
        listMapKeys: ['name'],
      },
      { name: 'limits', protoNumber: 7, type: { kind: 'map', values: { kind: 'ref', ref: 'io.k8s.apimachinery.pkg.api.resource.Quantity' } } },
      { name: 'port', protoNumber: 8, type: { kind: 'special', special: 'IntOrString' } },
      { name: 'missing', protoNumber: 9, type: { kind: 'ref', ref: 'io.example.v1.Missing' }, nullable: true } as TypeSchema['fields'][number],
      { name: '', protoNumber: 10, type: { kind: 'ref', ref: 'io.example.v1.Inlined' } },
    ],
  },
  { name: 'io.example.v1.Part', fields: [{ name: 'name', protoNumber: 1, type: { kind: 'scalar', scalar: 'string' }, required: true }] },
  { name: 'io.example.v1.Inlined', fields: [{ name: 'extra', protoNumber: 1, type: { kind: 'scalar', scalar: 'string' } }] },
  {
    name: 'io.k8s.apimachinery.pkg.api.resource.Quantity',
    description: 'An amount.',
    special: 'Quantity',
    fields: [{ name: 'string', protoNumber: 1, type: { kind: 'scalar', scalar: 'string' } }],
  },
];

const LOOKUP: SchemaLookup = {
  type: (name) => TYPES.find((t) => t.name === name),
  kind: (gvk: GroupVersionKind) => TYPES.find((t) => t.gvk?.some((g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind)),
};

void describe('ComponentSchemas (v3)', () => {
  const components = new ComponentSchemas(LOOKUP, 'v3');
  const ref = components.add('io.example.v1.Widget');
  const schemas = components.toJSON();

  void it('add() returns the reference and collects every reachable type', () => {
    assert.equal(ref, '#/components/schemas/io.example.v1.Widget');
    // An inlined type's fields live in its parent, so it needs no schema of its own.
    assert.deepEqual(Object.keys(schemas), [
      'io.example.v1.Meta',
      'io.example.v1.Missing',
      'io.example.v1.Part',
      'io.example.v1.Widget',
      'io.example.v1.WidgetSpec',
      'io.k8s.apimachinery.pkg.api.resource.Quantity',
      'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
      'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    ]);
  });

  void it('renders kinds with description, properties and x-kubernetes-group-version-kind', () => {
    assert.deepEqual(schemas['io.example.v1.Widget'], {
      description: 'A widget.',
      type: 'object',
      properties: {
        metadata: { allOf: [{ $ref: '#/components/schemas/io.example.v1.Meta' }], default: {} },
        next: { $ref: '#/components/schemas/io.example.v1.Widget' },
        spec: { allOf: [{ $ref: '#/components/schemas/io.example.v1.WidgetSpec' }], description: 'What is wanted.', default: {} },
      },
      'x-kubernetes-group-version-kind': [{ group: 'example.io', kind: 'Widget', version: 'v1' }],
    });
  });

  void it('renders scalars, maps, special types and required fields', () => {
    const meta = schemas['io.example.v1.Meta'];
    assert.deepEqual(meta?.['required'], ['name']);
    assert.deepEqual(meta?.['properties'], {
      created: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time' },
      labels: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'granular' },
      name: { type: 'string' },
    });
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Time'], { type: 'string', format: 'date-time' });
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.api.resource.Quantity'], {
      description: 'An amount.',
      oneOf: [{ type: 'string' }, { type: 'number' }],
    });
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], {
      format: 'int-or-string',
      oneOf: [{ type: 'integer' }, { type: 'string' }],
    });
    const spec = schemas['io.example.v1.WidgetSpec']?.['properties'] as Record<string, unknown>;
    assert.deepEqual(spec['count'], { type: 'integer', format: 'int32' });
    assert.deepEqual(spec['size'], { type: 'integer', format: 'int64' });
    assert.deepEqual(spec['blob'], { type: 'string', format: 'byte' });
    assert.deepEqual(spec['ratio'], { type: 'number', format: 'double' });
    assert.deepEqual(spec['on'], { type: 'boolean' });
    assert.deepEqual(spec['limits'], {
      type: 'object',
      additionalProperties: { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' },
    });
  });

  void it('renders list markers, expands inlined fields and keeps unknown references resolvable', () => {
    const spec = schemas['io.example.v1.WidgetSpec']?.['properties'] as Record<string, unknown>;
    assert.deepEqual(spec['parts'], {
      type: 'array',
      items: { allOf: [{ $ref: '#/components/schemas/io.example.v1.Part' }], default: {} },
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    assert.deepEqual(spec['extra'], { type: 'string' });
    assert.equal(spec[''], undefined);
    assert.deepEqual(schemas['io.example.v1.Missing'], { type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });
});

void describe('ComponentSchemas (v2)', () => {
  const components = new ComponentSchemas(LOOKUP, 'v2');
  components.add('io.example.v1.Widget');
  const schemas = components.toJSON();

  void it('uses #/definitions references without allOf wrappers', () => {
    const props = schemas['io.example.v1.Widget']?.['properties'] as Record<string, unknown>;
    assert.deepEqual(props['spec'], { $ref: '#/definitions/io.example.v1.WidgetSpec', description: 'What is wanted.' });
  });

  void it('renders Quantity and IntOrString as strings', () => {
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.api.resource.Quantity'], { description: 'An amount.', type: 'string' });
    assert.deepEqual(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString'], { type: 'string', format: 'int-or-string' });
  });
});
