import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldElement, FieldSet, indexElement, keyElement, pathString, valueElement } from './field-set.js';

const SAMPLE = {
  'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  'f:spec': {
    'f:replicas': {},
    'f:template': {
      'f:spec': {
        'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
      },
    },
  },
};

describe('FieldSet', () => {
  it('round-trips fieldsV1, writing "." first and fields before keys', () => {
    const set = FieldSet.fromFieldsV1(SAMPLE);
    assert.deepEqual(set.toFieldsV1(), SAMPLE);
    assert.deepEqual(Object.keys(set.toFieldsV1()['f:metadata'] as object), ['f:labels']);
    const mixed = new FieldSet();
    mixed.insert(['i:2']);
    mixed.insert(['v:"b"']);
    mixed.insert(['k:{"a":1}']);
    mixed.insert(['f:z']);
    mixed.insert(['i:10']);
    assert.deepEqual(Object.keys(mixed.toFieldsV1()), ['f:z', 'k:{"a":1}', 'v:"b"', 'i:2', 'i:10']);
  });

  it('union, difference and intersection work on paths', () => {
    const a = new FieldSet();
    a.insert(['f:spec', 'f:replicas']);
    a.insert(['f:spec', 'f:paused']);
    const b = new FieldSet();
    b.insert(['f:spec', 'f:replicas']);
    b.insert(['f:metadata', 'f:labels', 'f:x']);
    assert.deepEqual(a.union(b).members(), [['f:metadata', 'f:labels', 'f:x'], ['f:spec', 'f:paused'], ['f:spec', 'f:replicas']]);
    assert.deepEqual(a.difference(b).members(), [['f:spec', 'f:paused']]);
    assert.deepEqual(a.intersection(b).members(), [['f:spec', 'f:replicas']]);
    assert.equal(a.difference(a).isEmpty(), true);
    assert.deepEqual(a.difference(a).toFieldsV1(), {});
  });

  it('has, hasAnyAt and empty branches', () => {
    const set = FieldSet.fromFieldsV1(SAMPLE);
    assert.equal(set.has(['f:spec', 'f:replicas']), true);
    assert.equal(set.has(['f:spec']), false);
    assert.equal(set.hasAnyAt(['f:spec']), true);
    set.ensureChild('f:empty');
    assert.equal('f:empty' in set.toFieldsV1(), false);
  });

  it('builds elements and prints paths as upstream', () => {
    assert.equal(keyElement([['protocol', 'TCP'], ['containerPort', 80]]), 'k:{"containerPort":80,"protocol":"TCP"}');
    const path = [fieldElement('spec'), keyElement([['name', 'web']]), fieldElement('image')];
    assert.equal(pathString(path), '.spec[name="web"].image');
    assert.equal(pathString([fieldElement('metadata'), fieldElement('finalizers'), valueElement('a')]), '.metadata.finalizers[="a"]');
    assert.equal(pathString([fieldElement('items'), indexElement(3)]), '.items[3]');
    assert.equal(pathString([fieldElement('ports'), keyElement([['containerPort', 80], ['protocol', 'TCP']])]), '.ports[containerPort=80,protocol="TCP"]');
  });
});
