import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinSchemas } from '../schema/schema-registry.js';
import { builtinApplySchema } from './builtin-apply-schema.js';
import { compareFields } from './compare-fields.js';
import { mergeApplied } from './merge-applied.js';
import { removeFields } from './remove-fields.js';
import { FieldSet } from './field-set.js';
import type { JsonValue } from '../patch/json-value.js';

const POD_SPEC = builtinApplySchema(builtinSchemas(), 'io.k8s.api.core.v1.PodSpec');

describe('compareFields()', () => {
  it('reports added, modified and removed fields and list items per list type', () => {
    const before: JsonValue = { containers: [{ name: 'a', image: '1', args: ['x'] }, { name: 'b', image: '1' }], nodeSelector: { k: 'v' } };
    const after: JsonValue = { containers: [{ name: 'a', image: '2', args: ['y'] }, { name: 'c', image: '1' }], hostname: 'h' };
    const diff = compareFields(before, after, POD_SPEC);
    assert.deepEqual(diff.modified.members(), [
      ['f:containers', 'k:{"name":"a"}', 'f:args'],
      ['f:containers', 'k:{"name":"a"}', 'f:image'],
    ]);
    assert.deepEqual(diff.added.members(), [
      ['f:containers', 'k:{"name":"c"}'],
      ['f:containers', 'k:{"name":"c"}', 'f:image'],
      ['f:containers', 'k:{"name":"c"}', 'f:name'],
      ['f:hostname'],
    ]);
    assert.deepEqual(diff.removed.members(), [
      ['f:containers', 'k:{"name":"b"}'],
      ['f:containers', 'k:{"name":"b"}', 'f:image'],
      ['f:containers', 'k:{"name":"b"}', 'f:name'],
      ['f:nodeSelector'],
    ]);
    // nodeSelector is an atomic map: a changed key modifies the whole map.
    const atomic = compareFields({ nodeSelector: { k: 'v' } }, { nodeSelector: { k: 'w' } }, POD_SPEC);
    assert.deepEqual(atomic.modified.members(), [['f:nodeSelector']]);
  });
});

describe('mergeApplied() and removeFields()', () => {
  it('merges ports keyed by containerPort and a defaulted protocol', () => {
    const live = { containers: [{ name: 'a', ports: [{ containerPort: 80, protocol: 'TCP', name: 'http' }] }] };
    const applied = { containers: [{ name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }] }] };
    assert.deepEqual(mergeApplied(live, applied, POD_SPEC), { containers: [{ name: 'a', ports: [{ containerPort: 80, protocol: 'TCP', name: 'http', hostPort: 8080 }] }] });
  });

  it('removes fields and items, dropping emptied maps and lists', () => {
    const value = { containers: [{ name: 'a', image: 'x' }], nodeSelector: { k: 'v' }, hostname: 'h' };
    const remove = new FieldSet();
    remove.insert(['f:containers', 'k:{"name":"a"}']);
    remove.insert(['f:nodeSelector']);
    assert.deepEqual(removeFields(value, remove, POD_SPEC), { hostname: 'h' });
    assert.equal(removeFields(value, new FieldSet(), POD_SPEC), value);
  });
});
