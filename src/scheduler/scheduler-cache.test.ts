/**
 * SchedulerCache: nodes and bound pods from informers, assumed pods confirmed or forgotten, terminal pods freed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Node, Pod } from './framework/objects.js';
import { SchedulerCache } from './scheduler-cache.js';

function node(name: string): Node {
  return { metadata: { name }, spec: {}, status: { allocatable: { cpu: '2', memory: '4Gi', pods: '10' } } };
}

function pod(name: string, nodeName?: string, phase = 'Pending'): Pod {
  return { metadata: { name, namespace: 'ns' }, spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', resources: { requests: { cpu: '500m' } } }] }, status: { phase } };
}

void describe('SchedulerCache', () => {
  void it('counts bound pods on their node and ignores pending ones', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('a'));
    c.upsertPod(pod('p1', 'a'));
    c.upsertPod(pod('p2'));
    const a = c.nodeInfoMap().get('a');
    assert.equal(a?.podCount, 1);
    assert.equal(a?.requested['cpu'], 500);
  });

  void it('an assumed pod counts at once, is confirmed by the informer, or forgotten', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('a'));
    c.assumePod(pod('p1'), 'a');
    assert.equal(c.isAssumed('ns/p1'), true);
    assert.equal(c.nodeInfoMap().get('a')?.requested['cpu'], 500);
    c.upsertPod(pod('p1', 'a'));
    assert.equal(c.isAssumed('ns/p1'), false);
    c.forgetPod('ns/p1'); // confirmed: stays
    assert.equal(c.nodeInfoMap().get('a')?.podCount, 1);
    c.assumePod(pod('p2'), 'a');
    c.forgetPod('ns/p2');
    assert.equal(c.nodeInfoMap().get('a')?.podCount, 1);
  });

  void it('a finished pod frees its resources; a deleted node disappears from the list but keeps its pods until they go', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('a'));
    c.upsertNode(node('b'));
    c.upsertPod(pod('p1', 'a'));
    c.upsertPod(pod('p1', 'a', 'Succeeded'));
    assert.equal(c.nodeInfoMap().get('a')?.podCount, 0);
    c.upsertPod(pod('p2', 'b'));
    c.removeNode('b');
    assert.deepEqual(c.nodeInfos().map((n) => n.name), ['a']);
    assert.equal(c.nodeInfoMap().get('b')?.podCount, 1);
    c.removePod('ns/p2');
    assert.equal(c.nodeInfoMap().has('b'), false);
  });

  void it('keeps the count of pods with affinity terms as pods come, move and go', () => {
    const c = new SchedulerCache();
    c.upsertNode(node('a'));
    c.upsertNode(node('b'));
    const withAnti = (name: string, nodeName?: string): Pod => {
      const p = pod(name, nodeName);
      return { ...p, spec: { ...p.spec, affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }] } } } };
    };
    c.assumePod(withAnti('p1'), 'a');
    c.upsertPod(withAnti('p1', 'a'));
    c.upsertPod(withAnti('p2', 'b'));
    c.upsertPod(pod('p3', 'b'));
    assert.equal(c.podsWithAffinity, 2);
    c.upsertPod(pod('p2', 'b')); // its terms removed
    assert.equal(c.podsWithAffinity, 1);
    c.removePod('ns/p1');
    assert.equal(c.podsWithAffinity, 0);
  });
});
