import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseFieldSelector } from '../../api/meta/fields.js';
import { podStrategy } from './resources/pods.js';
import { AttributeLayout } from './attribute-layout.js';
import { parseSelectionPredicate, selectionAttributes } from './selection-predicate.js';

const pod = (name: string, node: string, labels?: Record<string, string>): Record<string, unknown> => JSON.parse(JSON.stringify({
  metadata: { name, namespace: 'ns', ...(labels ? { labels } : {}) },
  spec: { nodeName: node, restartPolicy: 'Always' },
  status: { phase: 'Running', podIP: `10.0.0.${name.length}` },
})) as Record<string, unknown>;

void describe('AttributeLayout', () => {
  void it('packs the values in field order and gives them back by name, as a record too', () => {
    const layout = new AttributeLayout(['a', 'b', 'c']);
    const packed = layout.pack({ x: '1' }, { b: 'B', a: 'A' });
    assert.equal(packed.field('a'), 'A');
    assert.equal(packed.field('b'), 'B');
    assert.equal(packed.field('c'), '', 'a field the object lacks reads as ""');
    assert.equal(packed.field('d'), undefined, 'a field the resource lacks is undefined');
    assert.deepEqual(packed.fields, { a: 'A', b: 'B', c: '' });
    assert.deepEqual(packed.labels, { x: '1' });
  });

  void it('shares equal values and equal label sets between entries', () => {
    const attributesOf = selectionAttributes(podStrategy, true);
    const one = attributesOf(pod('one', 'node-1', { app: 'web', tier: 'a' }));
    const two = attributesOf(pod('two', 'node-1', { app: 'web', tier: 'a' }));
    const three = attributesOf(pod('three', 'node-2', { tier: 'a', app: 'web' }));
    assert.equal(one.labels, two.labels, 'equal label sets are one object');
    assert.notEqual(one.labels, three.labels, 'another key order is another set (its JSON differs)');
    assert.deepEqual(three.labels, { tier: 'a', app: 'web' });
    assert.equal(attributesOf(pod('four', 'n')).labels, attributesOf(pod('five', 'n', {})).labels, 'no labels and {} are the same empty set');
    assert.equal(one.field!('spec.nodeName'), 'node-1');
    assert.equal(one.field!('metadata.name'), 'one');
    assert.equal(three.field!('spec.nodeName'), 'node-2');
  });

  void it('selects as the decoded object does, for every field and operator', () => {
    const attributesOf = selectionAttributes(podStrategy, true);
    const pods = [pod('a', 'node-1', { app: 'web' }), pod('bb', 'node-2', { app: 'db' }), pod('ccc', '', undefined)];
    const selectors = ['', 'spec.nodeName=node-1', 'spec.nodeName!=node-1', 'spec.nodeName=', 'metadata.name=bb,status.phase=Running',
      'status.phase!=Running', 'metadata.namespace=ns', 'status.podIP=10.0.0.3', 'spec.hostNetwork=false'];
    for (const field of selectors) {
      for (const label of ['', 'app=web', 'app!=web']) {
        const p = parseSelectionPredicate(label, field, podStrategy, true);
        for (const o of pods) assert.equal(p.matchesAttributes(attributesOf(o)), p.matches(o), `${label} ${field} ${String((o['metadata'] as { name: string }).name)}`);
      }
    }
  });

  void it('remembers values in two bounded generations', () => {
    const layout = new AttributeLayout(['v'], 2);
    const first = layout.pack(undefined, { v: 'x'.repeat(20) });
    for (let i = 0; i < 10; i++) layout.pack(undefined, { v: `unique-${i}` });
    const again = layout.pack(undefined, { v: 'x'.repeat(20) });
    assert.equal(again.field('v'), first.field('v'));
  });

  void it('FieldSelector.matchesValues agrees with matches', () => {
    const set = { a: '1', b: '' };
    for (const s of ['a=1', 'a!=1', 'b=', 'c=', 'c!=x', 'a=1,b=2']) {
      const sel = parseFieldSelector(s);
      assert.equal(sel.matchesValues({ field: (n) => (Object.prototype.hasOwnProperty.call(set, n) ? set[n as 'a'] : undefined) }), sel.matches(set), s);
    }
  });
});
