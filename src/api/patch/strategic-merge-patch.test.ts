import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { PatchError } from './patch-error.js';
import type { JsonObject } from './json-value.js';
import type { FieldSchema, FieldType, SchemaLookup, TypeSchema } from '../schema/types.js';
import { builtinSchemas } from '../schema/schema-registry.js';

/** A small hand-built schema: a "Box" with every kind of field the algorithm distinguishes. */
function field(name: string, type: FieldType, extra: Partial<FieldSchema> = {}): FieldSchema {
  return { name, protoNumber: 0, type, ...extra };
}
const str: FieldType = { kind: 'scalar', scalar: 'string' };
const int: FieldType = { kind: 'scalar', scalar: 'int32' };
const ref = (name: string): FieldType => ({ kind: 'ref', ref: name });
const list = (items: FieldType): FieldType => ({ kind: 'array', items });

const FIXTURE: TypeSchema[] = [
  {
    name: 'test.Box',
    fields: [
      field('name', str),
      field('labels', { kind: 'map', values: str }),
      field('limits', { kind: 'map', values: { kind: 'special', special: 'Quantity' } }),
      field('items', list(ref('test.Item')), { patchStrategy: 'merge', patchMergeKey: 'name' }),
      field('ports', list(ref('test.Port')), { patchStrategy: 'merge', patchMergeKey: 'port' }),
      field('plain', list(ref('test.Item'))),
      field('tags', list(str), { patchStrategy: 'merge' }),
      field('args', list(str)),
      field('nested', ref('test.Box')),
      field('strategy', ref('test.Strategy'), { patchStrategy: 'retainKeys' }),
      field('raw', { kind: 'special', special: 'RawExtension' }),
      field('size', { kind: 'special', special: 'IntOrString' }),
      field('sealed', { kind: 'map', values: str }, { mapType: 'atomic' }),
      field('replaced', ref('test.Item'), { patchStrategy: 'replace' }),
      field('quantity', ref('test.Quantity')),
    ],
  },
  { name: 'test.Item', fields: [field('name', str), field('value', str), field('other', str), field('tags', list(str), { patchStrategy: 'merge' })] },
  { name: 'test.Port', fields: [field('port', int), field('protocol', str)] },
  { name: 'test.Strategy', fields: [field('type', str), field('rolling', ref('test.Rolling'))] },
  { name: 'test.Rolling', fields: [field('maxSurge', { kind: 'special', special: 'IntOrString' }), field('maxUnavailable', { kind: 'special', special: 'IntOrString' })] },
  { name: 'test.Quantity', fields: [field('string', str)], special: 'Quantity' },
];
const fixtureTypes = new Map(FIXTURE.map((t) => [t.name, t]));
const fixture: SchemaLookup = { type: (name) => fixtureTypes.get(name), kind: () => undefined };

interface Case {
  readonly name: string;
  readonly doc: JsonObject;
  readonly patch: JsonObject;
  readonly want: JsonObject;
}

function runCases(cases: readonly Case[], typeName: string, lookup: SchemaLookup): void {
  for (const c of cases) {
    void it(c.name, () => {
      const docBefore = structuredClone(c.doc);
      const patchBefore = structuredClone(c.patch);
      const got = applyStrategicMergePatch(c.doc, c.patch, typeName, lookup);
      assert.deepEqual(got, c.want);
      assert.deepEqual(c.doc, docBefore, 'the document must not be mutated');
      assert.deepEqual(c.patch, patchBefore, 'the patch must not be mutated');
    });
  }
}

void describe('applyStrategicMergePatch() with a fixture schema', () => {
  runCases(
    [
      { name: 'sets a new scalar field', doc: { name: 'a' }, patch: { nested: { name: 'b' } }, want: { name: 'a', nested: { name: 'b' } } },
      { name: 'null deletes a field', doc: { name: 'a', labels: { x: '1' } }, patch: { labels: null }, want: { name: 'a' } },
      { name: 'null for an absent field is ignored', doc: { name: 'a' }, patch: { labels: null }, want: { name: 'a' } },
      {
        name: 'maps merge key by key and null removes a key',
        doc: { labels: { a: '1', b: '2' } },
        patch: { labels: { b: null, c: '3' } },
        want: { labels: { a: '1', c: '3' } },
      },
      {
        name: 'nulls inside a new map are dropped',
        doc: {},
        patch: { nested: { name: 'x', labels: { a: null, b: '2' } } },
        want: { nested: { name: 'x', labels: { b: '2' } } },
      },
      {
        name: 'merging list of objects merges items by merge key',
        doc: { items: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }] },
        patch: { items: [{ name: 'b', value: '3', other: 'x' }] },
        want: { items: [{ name: 'a', value: '1' }, { name: 'b', value: '3', other: 'x' }] },
      },
      {
        name: 'a new item of a merging list goes first',
        doc: { items: [{ name: 'a' }, { name: 'b' }] },
        patch: { items: [{ name: 'c', value: '3' }] },
        want: { items: [{ name: 'c', value: '3' }, { name: 'a' }, { name: 'b' }] },
      },
      {
        name: 'numeric merge keys match numerically',
        doc: { ports: [{ port: 80, protocol: 'TCP' }, { port: 443 }] },
        patch: { ports: [{ port: 443, protocol: 'UDP' }] },
        want: { ports: [{ port: 80, protocol: 'TCP' }, { port: 443, protocol: 'UDP' }] },
      },
      {
        name: 'null inside a list item removes that field of the item',
        doc: { items: [{ name: 'a', value: '1', other: 'o' }] },
        patch: { items: [{ name: 'a', other: null }] },
        want: { items: [{ name: 'a', value: '1' }] },
      },
      {
        name: '$patch: delete removes the item with that merge key',
        doc: { items: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
        patch: { items: [{ name: 'b', $patch: 'delete' }] },
        want: { items: [{ name: 'a' }, { name: 'c' }] },
      },
      {
        name: '$patch: delete of a missing item is a no-op',
        doc: { items: [{ name: 'a' }] },
        patch: { items: [{ name: 'z', $patch: 'delete' }] },
        want: { items: [{ name: 'a' }] },
      },
      {
        name: '$patch: replace in a list replaces the whole list',
        doc: { items: [{ name: 'a', value: '1' }, { name: 'b' }] },
        patch: { items: [{ name: 'c' }, { $patch: 'replace' }] },
        want: { items: [{ name: 'c' }] },
      },
      {
        name: '$patch: merge on a list item is the default merge',
        doc: { items: [{ name: 'a', value: '1' }] },
        patch: { items: [{ name: 'a', other: '2', $patch: 'merge' }] },
        want: { items: [{ name: 'a', value: '1', other: '2' }] },
      },
      {
        name: '$patch: replace in a map replaces the map',
        doc: { labels: { a: '1', b: '2' } },
        patch: { labels: { c: '3', $patch: 'replace' } },
        want: { labels: { c: '3' } },
      },
      {
        name: '$patch: delete in a map empties it',
        doc: { labels: { a: '1' }, name: 'n' },
        patch: { labels: { $patch: 'delete' } },
        want: { labels: {}, name: 'n' },
      },
      {
        name: '$patch: delete for an absent map leaves it absent',
        doc: { name: 'n' },
        patch: { labels: { $patch: 'delete' } },
        want: { name: 'n' },
      },
      {
        name: '$patch: replace at the root replaces the object',
        doc: { name: 'a', labels: { x: '1' } },
        patch: { $patch: 'replace', name: 'b' },
        want: { name: 'b' },
      },
      {
        name: 'non-merging list of objects is replaced',
        doc: { plain: [{ name: 'a', value: '1' }, { name: 'b' }] },
        patch: { plain: [{ name: 'a', other: 'x' }] },
        want: { plain: [{ name: 'a', other: 'x' }] },
      },
      {
        name: 'non-merging list of scalars is replaced',
        doc: { args: ['a', 'b'] },
        patch: { args: ['c'] },
        want: { args: ['c'] },
      },
      {
        name: 'merging list of scalars is a set union, ordered by the current list where it can be',
        doc: { tags: ['a', 'b'] },
        patch: { tags: ['b', 'c'] },
        want: { tags: ['a', 'b', 'c'] },
      },
      {
        name: 'a new value of a merging scalar list goes first',
        doc: { tags: ['a', 'b'] },
        patch: { tags: ['c'] },
        want: { tags: ['c', 'a', 'b'] },
      },
      {
        name: '$deleteFromPrimitiveList removes values from a merging scalar list',
        doc: { tags: ['a', 'b', 'c', 'b'] },
        patch: { '$deleteFromPrimitiveList/tags': ['b'] },
        want: { tags: ['a', 'c'] },
      },
      {
        name: '$deleteFromPrimitiveList also works on non-merging lists',
        doc: { args: ['a', 'b'] },
        patch: { '$deleteFromPrimitiveList/args': ['a', 'zzz'] },
        want: { args: ['b'] },
      },
      {
        name: '$deleteFromPrimitiveList of an absent list adds nothing',
        doc: {},
        patch: { '$deleteFromPrimitiveList/tags': ['a'] },
        want: {},
      },
      {
        name: '$deleteFromPrimitiveList together with additions',
        doc: { tags: ['a', 'b'] },
        patch: { tags: ['c'], '$deleteFromPrimitiveList/tags': ['a'] },
        want: { tags: ['c', 'b'] },
      },
      {
        name: '$setElementOrder reorders a list of objects',
        doc: { items: [{ name: 'a', value: '1' }, { name: 'b' }, { name: 'c' }] },
        patch: { '$setElementOrder/items': [{ name: 'c' }, { name: 'a' }, { name: 'b' }] },
        want: { items: [{ name: 'c' }, { name: 'a', value: '1' }, { name: 'b' }] },
      },
      {
        name: '$setElementOrder places a new item and keeps server-only items before their successors',
        doc: { items: [{ name: 'a' }, { name: 's' }, { name: 'b' }] },
        patch: { '$setElementOrder/items': [{ name: 'a' }, { name: 'n' }, { name: 'b' }], items: [{ name: 'n', value: 'new' }] },
        want: { items: [{ name: 'a' }, { name: 'n', value: 'new' }, { name: 's' }, { name: 'b' }] },
      },
      {
        name: '$setElementOrder with a deletion puts the new item in the freed place',
        doc: { items: [{ name: 'a' }, { name: 'b' }, { name: 'd' }] },
        patch: { '$setElementOrder/items': [{ name: 'b' }, { name: 'c' }], items: [{ name: 'c' }, { name: 'a', $patch: 'delete' }] },
        want: { items: [{ name: 'b' }, { name: 'd' }, { name: 'c' }] },
      },
      {
        name: '$setElementOrder reorders a scalar list',
        doc: { tags: ['a', 'b', 'c'] },
        patch: { '$setElementOrder/tags': ['c', 'b', 'a'] },
        want: { tags: ['c', 'b', 'a'] },
      },
      {
        name: '$setElementOrder for a list absent everywhere does nothing',
        doc: {},
        patch: { '$setElementOrder/items': [{ name: 'a' }] },
        want: {},
      },
      {
        name: '$retainKeys clears the fields it does not name',
        doc: { strategy: { type: 'Rolling', rolling: { maxSurge: 1, maxUnavailable: '25%' } } },
        patch: { strategy: { $retainKeys: ['type'], type: 'Recreate', rolling: null } },
        want: { strategy: { type: 'Recreate' } },
      },
      {
        name: '$retainKeys keeps and merges the fields it names',
        doc: { strategy: { type: 'Rolling', rolling: { maxSurge: 1 } } },
        patch: { strategy: { $retainKeys: ['type', 'rolling'], rolling: { maxUnavailable: 2 } } },
        want: { strategy: { type: 'Rolling', rolling: { maxSurge: 1, maxUnavailable: 2 } } },
      },
      {
        name: 'special types are atomic',
        doc: { raw: { a: 1, b: { c: 2 } }, size: 3 },
        patch: { raw: { b: { d: null } }, size: '50%' },
        want: { raw: { b: { d: null } }, size: '50%' },
      },
      {
        name: 'a ref to a special type is atomic',
        doc: { quantity: { odd: 1 } },
        patch: { quantity: '1Gi' },
        want: { quantity: '1Gi' },
      },
      {
        name: 'map values of a special type replace per key',
        doc: { limits: { cpu: '1', memory: '1Gi' } },
        patch: { limits: { cpu: '500m' } },
        want: { limits: { cpu: '500m', memory: '1Gi' } },
      },
      {
        name: 'mapType atomic still merges (only server-side apply reads it)',
        doc: { sealed: { a: '1', b: '2' } },
        patch: { sealed: { c: '3', a: null } },
        want: { sealed: { b: '2', c: '3' } },
      },
      {
        name: 'patchStrategy replace on an object replaces it',
        doc: { replaced: { name: 'a', value: '1' } },
        patch: { replaced: { other: '2' } },
        want: { replaced: { other: '2' } },
      },
      {
        name: 'unknown fields merge maps recursively',
        doc: { extra: { a: { b: 1, c: 2 } } },
        patch: { extra: { a: { c: null, d: 4 } } },
        want: { extra: { a: { b: 1, d: 4 } } },
      },
      {
        name: 'unknown fields replace lists',
        doc: { extra: [{ name: 'a' }, { name: 'b' }] },
        patch: { extra: [{ name: 'b', v: 1 }] },
        want: { extra: [{ name: 'b', v: 1 }] },
      },
      {
        name: 'a value of another type replaces the current one',
        doc: { nested: 'oops' },
        patch: { nested: { name: 'x' } },
        want: { nested: { name: 'x' } },
      },
      {
        name: 'nested merging lists merge inside merged items',
        doc: { items: [{ name: 'a', tags: ['x'] }] },
        patch: { items: [{ name: 'a', tags: ['y'] }] },
        want: { items: [{ name: 'a', tags: ['y', 'x'] }] },
      },
      {
        name: 'directives nested in merged items apply',
        doc: { nested: { items: [{ name: 'a', tags: ['x', 'y'] }] } },
        patch: { nested: { items: [{ name: 'a', '$deleteFromPrimitiveList/tags': ['x'] }] } },
        want: { nested: { items: [{ name: 'a', tags: ['y'] }] } },
      },
      {
        name: 'a new list drops directive items',
        doc: {},
        patch: { items: [{ name: 'a' }, { name: 'b', $patch: 'delete' }] },
        want: { items: [{ name: 'a' }] },
      },
      {
        name: 'an empty merging patch list changes nothing',
        doc: { items: [{ name: 'a' }] },
        patch: { items: [] },
        want: { items: [{ name: 'a' }] },
      },
      {
        name: 'a __proto__ key is stored as data',
        doc: {},
        patch: JSON.parse('{"labels":{"__proto__":"x"}}') as JsonObject,
        want: JSON.parse('{"labels":{"__proto__":"x"}}') as JsonObject,
      },
    ],
    'test.Box',
    fixture,
  );

  const errors: ReadonlyArray<{ name: string; doc: JsonObject; patch: JsonObject; message: RegExp }> = [
    { name: 'an unknown $patch directive', doc: {}, patch: { labels: { $patch: 'explode' } }, message: /unknown "\$patch" directive "explode"/ },
    { name: 'an unknown $patch directive in a list', doc: { items: [{ name: 'a' }] }, patch: { items: [{ $patch: 'nope' }] }, message: /unknown "\$patch" directive/ },
    { name: 'a list item without its merge key', doc: { items: [{ name: 'a' }] }, patch: { items: [{ value: '1' }] }, message: /lacks its merge key "name"/ },
    { name: 'a delete directive without the merge key', doc: { items: [{ name: 'a' }] }, patch: { items: [{ $patch: 'delete' }] }, message: /lacks its merge key/ },
    { name: 'a list mixing objects and scalars', doc: { items: [{ name: 'a' }] }, patch: { items: ['a'] }, message: /mixes objects and scalars/ },
    { name: 'a list of lists', doc: { tags: [] }, patch: { tags: [['a']] }, message: /lists of lists/ },
    { name: 'fields outside $retainKeys', doc: { strategy: {} }, patch: { strategy: { $retainKeys: ['type'], rolling: {} } }, message: /missing from "\$retainKeys"/ },
    { name: '$retainKeys that is not a list', doc: { strategy: {} }, patch: { strategy: { $retainKeys: 'type' } }, message: /must be a list of field names/ },
    { name: '$setElementOrder that is not a list', doc: {}, patch: { '$setElementOrder/items': { name: 'a' } }, message: /must be a list/ },
    {
      name: '$setElementOrder contradicting the patch order',
      doc: {},
      patch: { '$setElementOrder/items': [{ name: 'a' }, { name: 'b' }], items: [{ name: 'b' }, { name: 'a' }] },
      message: /not in the order/,
    },
    { name: '$deleteFromPrimitiveList that is not a list', doc: { tags: ['a'] }, patch: { '$deleteFromPrimitiveList/tags': 'a' }, message: /must be a list/ },
    { name: 'a malformed directive key', doc: {}, patch: { $setElementOrderitems: [] }, message: /is not of the form/ },
  ];
  for (const c of errors) {
    void it(`rejects ${c.name} with a BadRequest PatchError`, () => {
      assert.throws(
        () => applyStrategicMergePatch(c.doc, c.patch, 'test.Box', fixture),
        (err: unknown) => err instanceof PatchError && err.reason === 'BadRequest' && c.message.test(err.message),
      );
    });
  }

  void it('rejects a patch nested deeper than the limit', () => {
    let patch: JsonObject = {};
    for (let i = 0; i < 500; i++) patch = { nested: patch };
    assert.throws(
      () => applyStrategicMergePatch({}, patch, 'test.Box', fixture),
      (err: unknown) => err instanceof PatchError && err.reason === 'BadRequest' && /deeper than 100/.test(err.message),
    );
  });

  void it('throws a plain Error for an unknown type name', () => {
    assert.throws(() => applyStrategicMergePatch({}, {}, 'test.Missing', fixture), (err: unknown) => err instanceof Error && !(err instanceof PatchError));
  });
});

const POD = 'io.k8s.api.core.v1.Pod';
const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';
const SERVICE = 'io.k8s.api.core.v1.Service';

function pod(spec: JsonObject, metadata: JsonObject = { name: 'p' }): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}

function deployment(template: JsonObject, extra: JsonObject = {}): JsonObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { keep: 'me' } },
    spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, ...extra, template },
  };
}

void describe('applyStrategicMergePatch() with the built-in Pod schema', () => {
  const containers: JsonObject[] = [
    { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }, { containerPort: 443 }] },
    { name: 'sidecar', image: 'side:1' },
  ];
  runCases(
    [
      {
        name: 'merges containers by name',
        doc: pod({ containers }),
        patch: { spec: { containers: [{ name: 'sidecar', image: 'side:2' }] } },
        want: pod({ containers: [containers[0]!, { name: 'sidecar', image: 'side:2' }] }),
      },
      {
        name: 'merges env by name inside a container',
        doc: pod({ containers }),
        patch: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }] } },
        want: pod({
          containers: [
            { ...containers[0]!, env: [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }] },
            containers[1]!,
          ],
        }),
      },
      {
        name: 'merges ports by containerPort',
        doc: pod({ containers }),
        patch: { spec: { containers: [{ name: 'app', ports: [{ containerPort: 443, name: 'https' }] }] } },
        want: pod({ containers: [{ ...containers[0]!, ports: [{ containerPort: 80 }, { containerPort: 443, name: 'https' }] }, containers[1]!] }),
      },
      {
        name: 'removes a container with $patch: delete',
        doc: pod({ containers }),
        patch: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } },
        want: pod({ containers: [containers[0]!] }),
      },
      {
        name: 'reorders containers with $setElementOrder/containers',
        doc: pod({ containers }),
        patch: { spec: { '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'app' }] } },
        want: pod({ containers: [containers[1]!, containers[0]!] }),
      },
      {
        name: 'merges volumes by name',
        doc: pod({ containers, volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c1' } }] }),
        patch: { spec: { volumes: [{ name: 'cfg', configMap: { name: 'c2' } }] } },
        want: pod({ containers, volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c2' } }] }),
      },
      {
        name: 'replaces a volume source with $retainKeys',
        doc: pod({ containers, volumes: [{ name: 'data', emptyDir: {} }] }),
        patch: { spec: { volumes: [{ name: 'data', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } },
        want: pod({ containers, volumes: [{ name: 'data', hostPath: { path: '/x' } }] }),
      },
      {
        name: 'replaces tolerations, which have no merge key',
        doc: pod({ containers, tolerations: [{ key: 'a', operator: 'Exists' }, { key: 'b', operator: 'Exists' }] }),
        patch: { spec: { tolerations: [{ key: 'c', operator: 'Exists' }] } },
        want: pod({ containers, tolerations: [{ key: 'c', operator: 'Exists' }] }),
      },
      {
        name: 'treats resource quantities as atomic values in a map',
        doc: pod({ containers: [{ name: 'app', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }),
        patch: { spec: { containers: [{ name: 'app', resources: { limits: { cpu: '2' } } }] } },
        want: pod({ containers: [{ name: 'app', resources: { limits: { cpu: '2', memory: '1Gi' } } }] }),
      },
      {
        name: 'sets and removes labels (kubectl label)',
        doc: pod({ containers }, { name: 'p', labels: { app: 'web', tier: 'fe' } }),
        patch: { metadata: { labels: { tier: null, env: 'prod' } } },
        want: pod({ containers }, { name: 'p', labels: { app: 'web', env: 'prod' } }),
      },
      {
        name: 'sets annotations on an object without any (kubectl annotate)',
        doc: pod({ containers }),
        patch: { metadata: { annotations: { note: 'hello' } } },
        want: pod({ containers }, { name: 'p', annotations: { note: 'hello' } }),
      },
      {
        name: 'removes a finalizer with $deleteFromPrimitiveList/finalizers',
        doc: pod({ containers }, { name: 'p', finalizers: ['a/x', 'b/y'] }),
        patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['a/x'] } },
        want: pod({ containers }, { name: 'p', finalizers: ['b/y'] }),
      },
      {
        name: 'adds a finalizer to the set',
        doc: pod({ containers }, { name: 'p', finalizers: ['a/x'] }),
        patch: { metadata: { finalizers: ['a/x', 'c/z'] } },
        want: pod({ containers }, { name: 'p', finalizers: ['a/x', 'c/z'] }),
      },
      {
        name: 'merges ownerReferences by uid',
        doc: pod({ containers }, { name: 'p', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u1' }] }),
        patch: { metadata: { ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u1', controller: true }] } },
        want: pod({ containers }, { name: 'p', ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u1', controller: true }] }),
      },
      {
        name: 'replaces container args (no patch strategy)',
        doc: pod({ containers: [{ name: 'app', args: ['a', 'b'] }] }),
        patch: { spec: { containers: [{ name: 'app', args: ['c'] }] } },
        want: pod({ containers: [{ name: 'app', args: ['c'] }] }),
      },
    ],
    POD,
    builtinSchemas(),
  );
});

void describe('applyStrategicMergePatch() with the built-in Deployment and Service schemas', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'a:1' }] } };
  const rolling = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  runCases(
    [
      {
        name: 'scales (kubectl scale)',
        doc: deployment(template),
        patch: { spec: { replicas: 3 } },
        want: { ...deployment(template), spec: { ...(deployment(template)['spec'] as JsonObject), replicas: 3 } },
      },
      {
        name: 'sets the restart annotation on the template (kubectl rollout restart)',
        doc: deployment(template),
        patch: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } } } },
        want: deployment({ ...template, metadata: { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-01-01T00:00:00Z' } } }),
      },
      {
        name: 'switches strategy to Recreate with $retainKeys',
        doc: deployment(template, { strategy: rolling }),
        patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
        want: deployment(template, { strategy: { type: 'Recreate' } }),
      },
      {
        name: 'applies a client-side apply patch as kubectl 1.32 sends it',
        doc: deployment(template),
        patch: {
          metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}\n' } },
          spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ image: 'b', name: 'a' }] } } },
        },
        want: {
          ...deployment({ ...template, spec: { containers: [{ name: 'a', image: 'b' }] } }),
          metadata: { name: 'web', annotations: { keep: 'me', 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"Deployment"}\n' } },
        },
      },
      {
        name: 'applies a client-side apply patch that adds a container and deletes another',
        doc: deployment({ ...template, spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'old', image: 'o' }] } }),
        patch: {
          spec: {
            template: {
              spec: {
                '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
                containers: [{ image: 'b:1', name: 'b' }, { $patch: 'delete', name: 'old' }],
              },
            },
          },
        },
        want: deployment({ ...template, spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } }),
      },
    ],
    DEPLOYMENT,
    builtinSchemas(),
  );

  runCases(
    [
      {
        name: 'merges service ports by port',
        doc: { kind: 'Service', spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443, targetPort: 8443 }], selector: { app: 'a' } } },
        patch: { spec: { ports: [{ port: 80, targetPort: 'http' }] } },
        want: { kind: 'Service', spec: { ports: [{ port: 80, targetPort: 'http' }, { port: 443, targetPort: 8443 }], selector: { app: 'a' } } },
      },
      {
        name: 'merges the selector map',
        doc: { kind: 'Service', spec: { selector: { app: 'a', tier: 'x' } } },
        patch: { spec: { selector: { tier: null } } },
        want: { kind: 'Service', spec: { selector: { app: 'a' } } },
      },
    ],
    SERVICE,
    builtinSchemas(),
  );
});
