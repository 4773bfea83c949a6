import assert from 'node:assert/strict';
import { test } from 'node:test';

import { POD_BYTES, benchPod } from './bench-pod.js';

test('benchPod() is a named v1 Pod of POD_BYTES bytes', () => {
  const body = benchPod('p-00042', 'bench');
  assert.equal(Buffer.byteLength(body), POD_BYTES);
  const pod = JSON.parse(body) as { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: { containers: { name: string }[] } };
  assert.equal(pod.apiVersion, 'v1');
  assert.equal(pod.kind, 'Pod');
  assert.equal(pod.metadata.name, 'p-00042');
  assert.equal(pod.metadata.namespace, 'bench');
  assert.equal(pod.spec.containers.length, 1);
});

test('benchPod() keeps the size for longer names', () => {
  assert.equal(Buffer.byteLength(benchPod('a-much-longer-pod-name-0000001', 'bench')), POD_BYTES);
});
