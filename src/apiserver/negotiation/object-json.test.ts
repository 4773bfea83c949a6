import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listJson, objectJson, RECENT_EVENT_LINES, watchEventJson } from './object-json.js';

describe('objectJson() and listJson()', () => {
  it('render exactly what JSON.stringify renders', () => {
    const items = [{ metadata: { name: 'a', resourceVersion: '3' }, data: { k: 'v"q' } }, { metadata: { name: 'b' } }];
    const list = { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '9', continue: 'x' }, items };
    assert.equal(listJson(list).toBuffer().toString('utf8'), JSON.stringify(list));
    assert.equal(listJson({ ...list, items: [] }).toBuffer().toString('utf8'), JSON.stringify({ ...list, items: [] }));
    const unicode = { ...list, items: [{ metadata: { name: 'ü' }, data: { k: '日本' } }] };
    assert.equal(listJson(unicode).toBuffer().toString('utf8'), JSON.stringify(unicode));
    assert.equal(objectJson(items[0]!).toString('utf8'), JSON.stringify(items[0]));
  });
  it('serializes an object once', () => {
    const obj = { metadata: { name: 'once' } };
    const first = objectJson(obj);
    obj.metadata.name = 'changed'; // breaks the contract on purpose: the remembered text shows it is cached
    assert.equal(objectJson(obj), first, 'the same bytes, not re-encoded');
  });
  it('watchEventJson() renders one event line per object and type, shared by every caller', () => {
    const obj = { metadata: { name: 'w', resourceVersion: '7' } };
    const line = watchEventJson('ADDED', obj);
    assert.equal(line.toString('utf8'), JSON.stringify({ type: 'ADDED', object: obj }) + '\n');
    assert.equal(watchEventJson('ADDED', obj), line);
    assert.equal(watchEventJson('DELETED', obj).toString('utf8'), JSON.stringify({ type: 'DELETED', object: obj }) + '\n');
  });
  it('watchEventJson() keeps lines of the latest objects only (not one more copy of every cached object)', () => {
    const obj = { metadata: { name: 'old', resourceVersion: '8' } };
    const line = watchEventJson('MODIFIED', obj);
    for (let i = 0; i < RECENT_EVENT_LINES; i++) watchEventJson('ADDED', { metadata: { name: `n${i}` } });
    const again = watchEventJson('MODIFIED', obj);
    assert.notEqual(again, line, 'made anew once forgotten');
    assert.deepEqual(again, line);
  });
});
