import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { CycleState } from '../framework/cycle-state.js';
import { NodeInfo } from '../framework/node-info.js';
import type { Pod } from '../framework/objects.js';
import { ERR_UNBOUND_IMMEDIATE, ERR_VOLUME_NODE_CONFLICT, volumeBindingFilter, type VolumeLookup } from './volume-binding.js';

const objects: Record<string, KubeObject> = {
  'claim:ns/bound': { metadata: { name: 'bound', namespace: 'ns' }, spec: { volumeName: 'local-a' } },
  'claim:ns/waiting': { metadata: { name: 'waiting', namespace: 'ns' }, spec: { storageClassName: 'local-path' } },
  'claim:ns/immediate': { metadata: { name: 'immediate', namespace: 'ns' }, spec: { storageClassName: 'standard' } },
  'volume:local-a': { metadata: { name: 'local-a' }, spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['a'] }] }] } } } },
  'class:local-path': { metadata: { name: 'local-path' }, volumeBindingMode: 'WaitForFirstConsumer' },
  'class:standard': { metadata: { name: 'standard' }, volumeBindingMode: 'Immediate' },
};
const lookup: VolumeLookup = {
  claim: (ns, name) => objects[`claim:${ns}/${name}`],
  volume: (name) => objects[`volume:${name}`],
  storageClass: (name) => objects[`class:${name}`],
};
const node = (name: string): NodeInfo => new NodeInfo(name, { metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
const pod = (...claims: string[]): Pod => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { volumes: claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })) } });

void describe('VolumeBinding', () => {
  const filter = volumeBindingFilter(lookup);
  const verdict = (p: Pod, n: string): string => {
    const s = filter.filter(p, node(n), new CycleState());
    return s.code === 'Success' ? 'ok' : s.reasons.join(';');
  };
  void it('skips pods without claims', () => assert.equal(filter.skip?.(pod(), new CycleState()), true));
  void it('follows a bound local volume\'s node affinity', () => {
    assert.equal(verdict(pod('bound'), 'a'), 'ok');
    assert.equal(verdict(pod('bound'), 'b'), ERR_VOLUME_NODE_CONFLICT);
  });
  void it('lets WaitForFirstConsumer claims go anywhere, and holds unbound immediate ones', () => {
    assert.equal(verdict(pod('waiting'), 'b'), 'ok');
    assert.equal(verdict(pod('immediate'), 'a'), ERR_UNBOUND_IMMEDIATE);
  });
  void it('refuses a missing claim', () => assert.equal(verdict(pod('nope'), 'a'), 'persistentvolumeclaim "nope" not found'));
});
