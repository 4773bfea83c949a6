import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { findMatchingVolume } from './volume-matching.js';

const pv = (name: string, size: string, extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): KubeObject => ({
  metadata: { name, labels },
  spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], storageClassName: 'fast', ...extra },
});
const pvc = (request: string, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'c', namespace: 'ns', uid: 'u1' },
  spec: { storageClassName: 'fast', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: request } }, ...extra },
});

void describe('findMatchingVolume', () => {
  const cases: [string, KubeObject, KubeObject[], string | undefined][] = [
    ['smallest fitting volume', pvc('1Gi'), [pv('big', '10Gi'), pv('small', '2Gi'), pv('tiny', '512Mi')], 'small'],
    ['class must match', pvc('1Gi'), [pv('slow', '2Gi', { storageClassName: 'slow' })], undefined],
    ['access modes must be offered', pvc('1Gi', { accessModes: ['ReadWriteMany'] }), [pv('rwo', '2Gi')], undefined],
    ['claimed volumes are skipped', pvc('1Gi'), [pv('taken', '2Gi', { claimRef: { namespace: 'ns', name: 'other', uid: 'u2' } })], undefined],
    ['a volume pre-bound to the claim wins', pvc('1Gi'), [pv('small', '2Gi'), pv('mine', '9Gi', { claimRef: { namespace: 'ns', name: 'c' } })], 'mine'],
    ['selector narrows', pvc('1Gi', { selector: { matchLabels: { tier: 'gold' } } }), [pv('plain', '2Gi'), pv('gold', '5Gi', {}, { tier: 'gold' })], 'gold'],
  ];
  for (const [name, claim, volumes, want] of cases) {
    void it(name, () => assert.equal(findMatchingVolume(claim, volumes)?.metadata?.name, want));
  }
});
