/**
 * NodeInfo: requests summed as pods come and go (computed again from the pod on removal), host ports kept only for
 * pods that take any, a pod replaced under its key counted once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeInfo } from './node-info.js';
import type { Pod } from './objects.js';

function pod(name: string, cpu: string, hostPort?: number): Pod {
  return Object.freeze({
    metadata: { name, namespace: 'ns' },
    spec: { nodeName: 'a', containers: [{ name: 'c', resources: { requests: { cpu, memory: '16Mi' } }, ...(hostPort ? { ports: [{ containerPort: 80, hostPort }] } : {}) }] },
  }) as Pod;
}

void describe('NodeInfo', () => {
  void it('sums the requests of its pods and takes them away again when they leave', () => {
    const info = new NodeInfo('a');
    info.addPod(pod('p1', '100m'));
    info.addPod(pod('p2', '250m'), 'ns/p2');
    assert.equal(info.podCount, 2);
    assert.equal(info.requested['cpu'], 350);
    assert.equal(info.requested['memory'], 32 * 2 ** 20);
    info.removePod('ns/p1');
    assert.equal(info.requested['cpu'], 250);
    info.removePod('ns/p2');
    info.removePod('ns/p2');
    assert.equal(info.podCount, 0);
    assert.equal(info.requested['cpu'], 0);
    assert.equal(info.requested['memory'], 0);
    assert.equal(info.nonZeroRequested['cpu'], 0);
  });

  void it('counts a pod added again under its key once, with its latest requests', () => {
    const info = new NodeInfo('a');
    info.addPod(pod('p1', '100m'));
    info.addPod(pod('p1', '300m'));
    assert.equal(info.podCount, 1);
    assert.equal(info.requested['cpu'], 300);
    assert.deepEqual(info.pods().map((p) => p.metadata?.name), ['p1']);
  });

  void it('lists the host ports of the pods that take any, and forgets them with the pod', () => {
    const info = new NodeInfo('a');
    info.addPod(pod('p1', '100m'));
    assert.deepEqual(info.usedPorts(), []);
    info.addPod(pod('p2', '100m', 8080));
    info.addPod(pod('p3', '100m', 9090));
    assert.deepEqual(info.usedPorts().map((p) => p.port).sort(), [8080, 9090]);
    info.removePod('ns/p2');
    assert.deepEqual(info.usedPorts(), [{ ip: '0.0.0.0', protocol: 'TCP', port: 9090 }]);
  });
});
