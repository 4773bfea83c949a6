import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RESOURCES } from '../scheme.js';
import { jsonFields } from './json-fields.js';
import { builtinSchemas, SchemaRegistry } from './schema-registry.js';

describe('SchemaRegistry', () => {
  const registry = builtinSchemas();

  it('has a schema for every built-in resource kind of the scheme and its list', () => {
    for (const r of BUILTIN_RESOURCES) {
      const type = registry.kind({ group: r.group, version: r.version, kind: r.kind });
      assert.ok(type, `no schema for ${r.group}/${r.version} ${r.kind}`);
      assert.ok(type.gvk?.some((g) => g.group === r.group && g.version === r.version && g.kind === r.kind));
      if (r.verbs.includes('list')) assert.ok(registry.kind({ group: r.group, version: r.version, kind: `${r.kind}List` }), `no ${r.kind}List`);
    }
  });

  it('knows the subresource and meta kinds', () => {
    for (const [group, version, kind] of [
      ['autoscaling', 'v1', 'Scale'],
      ['policy', 'v1', 'Eviction'],
      ['', 'v1', 'Binding'],
      ['authentication.k8s.io', 'v1', 'TokenRequest'],
      ['', 'v1', 'Status'],
      ['apps', 'v1', 'DeleteOptions'],
      ['meta.k8s.io', 'v1', 'WatchEvent'],
    ] as const) {
      assert.ok(registry.kind({ group, version, kind }), `${group}/${version} ${kind}`);
    }
    assert.equal(registry.kind({ group: 'example.com', version: 'v1', kind: 'Widget' }), undefined);
  });

  it('describes fields with numbers, markers, special types and JSON names', () => {
    const spec = registry.type('io.k8s.api.core.v1.PodSpec')!;
    const containers = spec.fields.find((f) => f.name === 'containers')!;
    assert.equal(containers.protoNumber, 2);
    assert.equal(containers.patchStrategy, 'merge');
    assert.equal(containers.patchMergeKey, 'name');
    assert.equal(containers.listType, 'map');
    assert.deepEqual(containers.listMapKeys, ['name']);
    assert.deepEqual(containers.type, { kind: 'array', items: { kind: 'ref', ref: 'io.k8s.api.core.v1.Container' } });
    const meta = registry.type('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta')!;
    assert.deepEqual(meta.fields.find((f) => f.name === 'creationTimestamp')!.type, { kind: 'special', special: 'Time' });
    const props = registry.type('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps')!;
    for (const name of ['$ref', '$schema', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string']) {
      assert.ok(props.fields.some((f) => f.name === name), name);
    }
    const resources = registry.type('io.k8s.api.core.v1.ResourceRequirements')!.fields.find((f) => f.name === 'limits')!;
    assert.deepEqual(resources.type, { kind: 'map', values: { kind: 'special', special: 'Quantity' } });
    assert.equal(registry.type('io.k8s.api.core.v1.Container')!.fields.find((f) => f.name === 'name')!.required, true);
  });

  it('expands inlined structs in jsonFields()', () => {
    const volume = jsonFields(registry.type('io.k8s.api.core.v1.Volume')!, registry);
    assert.ok(volume.has('name'));
    assert.equal(volume.get('emptyDir')?.via[0]?.protoNumber, 2);
    assert.ok(!volume.has(''));
  });

  it('lists kinds per group/version and iterates all types', () => {
    assert.ok(registry.kindsIn('apps', 'v1').includes('Deployment'));
    assert.ok(registry.kindsIn('', 'v1').includes('Pod'));
    const fresh = new SchemaRegistry();
    let count = 0;
    for (const t of fresh.allTypes()) if (t.name.length > 0) count++;
    assert.ok(count > 500, `only ${count} types`);
  });
});
