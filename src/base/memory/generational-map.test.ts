import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GenerationalMap } from './generational-map.js';

void describe('GenerationalMap', () => {
  void it('keeps what is set again, forgets what was set once two generations ago, holds at most twice its capacity', () => {
    const m = new GenerationalMap<number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3); // young {c}, old {a, b}
    assert.equal(m.get('a'), 1);
    m.set('a', 1); // a back in the young generation
    m.set('d', 4); // young full {c, a}: it turns old, b is gone
    assert.equal(m.get('b'), undefined);
    assert.deepEqual(['a', 'c', 'd'].map((k) => m.get(k)), [1, 3, 4]);
    for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
    assert.ok(m.size <= 4);
  });

  void it('updates an entry of the young generation in place', () => {
    const m = new GenerationalMap<string>(1);
    m.set('x', 'owner');
    m.set('x', 'shared');
    assert.equal(m.get('x'), 'shared');
    assert.equal(m.size, 1);
  });
});
