import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { KubeList, KubeObject } from '../../api/meta/types.js';
import { lazyList, listJson, objectJson, RECENT_EVENT_LINES, watchEventJson } from './object-json.js';
import type { LazyListItem } from './object-json.js';

/** haveSameMap tells whether V8 gives two objects one hidden class (its %HaveSameMap, without a runner flag). */
function haveSameMap(a: object, b: object): boolean {
  setFlagsFromString('--allow-natives-syntax');
  return (runInNewContext('(a, b) => %HaveSameMap(a, b)') as (a: object, b: object) => boolean)(a, b);
}

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

  it('lazy lists share one hidden class, so a dropped one leaves nothing old that keeps its items', () => {
    // Lazy lists once got an `items` accessor of fresh closures each, hence a hidden class each. V8 allocates hidden
    // classes in the old generation, so a dead list's class kept its closures, item array and items alive through
    // every scavenge until the next mark-compact: under a flood of small lists, most of what each scavenge copied
    // and promoted (docs/reliability.md, Session 12). Neither a WeakRef (scavenges keep WeakRef targets) nor the young
    // generation's size (scavenges come whenever they like) shows that reliably, so this asks V8 directly.
    const item = (name: string): LazyListItem => {
      const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } };
      return { jsonParts: () => undefined, object: () => obj };
    };
    const make = (i: number): KubeList => lazyList({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: String(i) } }, [item(`a-${i}`), item(`b-${i}`)]);
    const [a, b] = [make(1), make(2)];
    assert.ok(haveSameMap(a, b), 'two lazy lists have one hidden class');
    assert.deepEqual(JSON.parse(listJson(a).toBuffer().toString('utf8')), JSON.parse(JSON.stringify(a)));
    b.items = [];
    assert.deepEqual(JSON.parse(listJson(b).toBuffer().toString('utf8')).items, []);
  });
});
