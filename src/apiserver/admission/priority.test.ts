import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { DefaultStorageClass } from './default-storage-class.js';
import { MemoryObjectReader } from './memory-object-reader.js';
import { Priority } from './priority.js';

describe('Priority', () => {
  const reader = new MemoryObjectReader().add('scheduling.k8s.io', 'priorityclasses', { metadata: { name: 'normal' }, value: 1000, globalDefault: true });
  const plugin = new Priority(reader);
  const podWith = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'p' }, spec: { containers: [], ...spec } });

  it('resolves a class name, the system classes and the global default', async () => {
    for (const [spec, value] of [[{}, 1000], [{ priorityClassName: 'system-node-critical' }, 2000001000]] as const) {
      const pod = podWith(spec);
      await plugin.admit(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: pod }));
      assert.equal((pod['spec'] as Record<string, unknown>)['priority'], value);
    }
  });
  it('refuses an unknown class and a second global default', async () => {
    await assert.rejects(
      plugin.admit(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: podWith({ priorityClassName: 'gold' }) })),
      (err) => err instanceof StatusError && err.status.message === 'pods "p" is forbidden: no PriorityClass with name gold was found',
    );
    const pc = newAdmissionAttributes({ operation: 'CREATE', group: 'scheduling.k8s.io', resource: 'priorityclasses', object: { metadata: { name: 'other' }, value: 5, globalDefault: true } });
    await assert.rejects(plugin.validate(pc), /PriorityClass normal is already marked as default/);
  });
});

describe('DefaultStorageClass', () => {
  it('gives a claim without class the newest default class and keeps an explicit ""', async () => {
    const reader = new MemoryObjectReader()
      .add('storage.k8s.io', 'storageclasses', { metadata: { name: 'old', creationTimestamp: '2025-01-01T00:00:00Z', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } })
      .add('storage.k8s.io', 'storageclasses', { metadata: { name: 'new', creationTimestamp: '2026-01-01T00:00:00Z', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });
    const plugin = new DefaultStorageClass(reader);
    const pvc: KubeObject = { metadata: { name: 'c' }, spec: {} };
    await plugin.admit(newAdmissionAttributes({ operation: 'CREATE', resource: 'persistentvolumeclaims', namespace: 'a', object: pvc }));
    assert.equal((pvc['spec'] as Record<string, unknown>)['storageClassName'], 'new');
    const none: KubeObject = { metadata: { name: 'c' }, spec: { storageClassName: '' } };
    await plugin.admit(newAdmissionAttributes({ operation: 'CREATE', resource: 'persistentvolumeclaims', namespace: 'a', object: none }));
    assert.equal((none['spec'] as Record<string, unknown>)['storageClassName'], '');
  });
});
