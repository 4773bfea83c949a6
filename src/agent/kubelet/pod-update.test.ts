import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { KubeObject } from '../../api/meta/types.js';
import { needsSync } from './pod-update.js';

const pod = (over: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u', resourceVersion: '5', labels: { a: '1' }, ...meta },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: { phase: 'Pending' },
    ...over,
  }) as KubeObject;

void describe('needsSync', () => {
  void it('ignores a change of status, resourceVersion or managedFields alone', () => {
    assert.equal(needsSync(pod(), pod({ status: { phase: 'Running', podIP: '10.0.0.2' } }, { resourceVersion: '9', managedFields: [{ manager: 'kubelet' }] })), false);
  });

  void it('syncs on a change of spec, labels, annotations or deletion', () => {
    assert.equal(needsSync(pod(), pod({ spec: { containers: [{ name: 'c', image: 'busybox' }], ephemeralContainers: [{ name: 'debug' }] } })), true);
    assert.equal(needsSync(pod(), pod({}, { labels: { a: '2' } })), true);
    assert.equal(needsSync(pod(), pod({}, { annotations: { x: 'y' } })), true);
    assert.equal(needsSync(pod(), pod({}, { deletionTimestamp: '2026-12-07T05:00:00Z', deletionGracePeriodSeconds: 30 })), true);
  });
});
