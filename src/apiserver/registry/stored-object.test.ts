import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { knownObjectJson, objectJson } from '../negotiation/object-json.js';
import { copyStoredObjectJson, decodeImmutableObject, decodeObject, encodeObject, encodeWrittenObject, metadataStart, storedObjectJson, storedObjectJsonLength } from './stored-object.js';

const kvOf = (obj: KubeObject, rev: number): { key: string; value: Uint8Array; createRevision: number; modRevision: number } => ({ key: '/k', value: encodeObject(obj), createRevision: rev, modRevision: rev });

describe('storedObjectJson', () => {
  it('is the JSON of the decoded object, resourceVersion included, for awkward but valid objects', () => {
    const objects: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', resourceVersion: '7', labels: { a: 'b' } }, spec: { x: [1, { y: '}"\\{' }] } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
      { metadata: { name: 'first' }, kind: 'X' },
      { apiVersion: 'x/v1', kind: 'K', spec: { metadata: { nested: true } }, 'we"ird': ['"metadata":{', 2.5e-7, null, true], metadata: { name: 'ünïcødé 🎉' } },
    ];
    for (const obj of objects) {
      const kv = kvOf(obj, 42);
      const bytes = storedObjectJson(kv.value, 42);
      assert.ok(bytes, JSON.stringify(obj));
      assert.deepEqual(JSON.parse(bytes.toString('utf8')), decodeObject(kv));
      assert.equal((JSON.parse(bytes.toString('utf8')) as KubeObject).metadata?.resourceVersion, '42');
    }
  });

  it('copies the same bytes in place, between untouched neighbours, for revisions of any length', () => {
    const objects: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n', labels: { a: 'b' } }, spec: { x: [1, { y: '}"\\{' }] } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
      { metadata: { name: 'first' }, kind: 'X' },
      { apiVersion: 'x/v1', kind: 'K', metadata: { name: 'ünïcødé 🎉' } },
    ];
    for (const obj of objects) {
      for (const revision of [0, 7, 10, 99, 12345, 9007199254740991]) {
        const value = encodeObject(obj);
        const at = metadataStart(value);
        const want = storedObjectJson(value, revision);
        assert.ok(want);
        const length = storedObjectJsonLength(value, at, revision);
        assert.equal(length, want.length);
        const target = Buffer.alloc(length + 6, '#');
        copyStoredObjectJson(value, at, revision, target, 3);
        assert.equal(target.toString('utf8'), `###${want.toString('utf8')}###`, `${JSON.stringify(obj)} at ${revision}`);
      }
    }
  });

  it('declines bytes without a top-level metadata object', () => {
    for (const text of ['{"kind":"X"}', '{"metadata":null}', '[]', '{ "metadata":{}}', '{"a":"unterminated', '']) {
      assert.equal(metadataStart(Buffer.from(text)), -1, text);
      assert.equal(storedObjectJson(Buffer.from(text), 1), undefined);
    }
    assert.equal(metadataStart(Buffer.from('{"apiVersion":"v1","metadata":{}}')), 30);
  });

  it('answers objectJson for an object decoded for the cache without serialising it', () => {
    const kv = kvOf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }, 9);
    const obj = decodeImmutableObject(kv);
    const json = knownObjectJson(obj);
    assert.equal(json?.toString('utf8'), '{"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"9","name":"p"}}');
    assert.equal(objectJson(obj), json);
  });
});

describe('encodeWrittenObject', () => {
  it('gives the watch cache the written object back for its bytes, once, instead of a parse', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', uid: 'u' }, spec: { containers: [{ name: 'c' }] } };
    const value = encodeWrittenObject(obj);
    // SQLite keeps the bytes as a Buffer view of the same memory.
    const kv = { key: '/k', value: Buffer.from(value.buffer, value.byteOffset, value.byteLength), createRevision: 5, modRevision: 5 };
    const cached = decodeImmutableObject(kv);
    assert.equal(cached['spec'], obj['spec']);
    assert.deepEqual(cached, decodeObject(kv));
    assert.equal(knownObjectJson(cached)?.toString('utf8'), '{"apiVersion":"v1","kind":"Pod","metadata":{"resourceVersion":"5","name":"p","uid":"u"},"spec":{"containers":[{"name":"c"}]}}');
    // A second decode of the same bytes (a cache restart) parses them.
    const again = decodeImmutableObject(kv);
    assert.notEqual(again['spec'], obj['spec']);
    assert.deepEqual(again, cached);
  });

  it('parses bytes that are a copy or a part of what was written', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    const value = encodeWrittenObject(obj);
    const copy = decodeImmutableObject({ key: '/k', value: Buffer.from(value), createRevision: 1, modRevision: 1 });
    assert.notEqual(copy['data'], obj['data']);
    assert.deepEqual(copy['data'], obj['data']);
  });
});
