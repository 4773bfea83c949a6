import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { MemoryObjectReader } from './memory-object-reader.js';
import { NamespaceLifecycle } from './namespace-lifecycle.js';

function statusOf(err: unknown): { code: number; message: string } {
  assert.ok(err instanceof StatusError);
  return { code: err.status.code ?? 0, message: err.status.message ?? '' };
}

describe('NamespaceLifecycle', () => {
  const reader = new MemoryObjectReader()
    .add('', 'namespaces', { metadata: { name: 'live' } })
    .add('', 'namespaces', { metadata: { name: 'dying', deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Terminating' } });
  const plugin = new NamespaceLifecycle(reader);
  const pod = (ns: string) => newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', kind: 'Pod', namespace: ns, object: { metadata: { name: 'p' } } });

  it('admits creates in a live namespace', async () => {
    await plugin.admit(pod('live'));
  });
  it('refuses creates in a missing namespace with 404', async () => {
    await assert.rejects(plugin.admit(pod('nope')), (err) => statusOf(err).message === 'namespaces "nope" not found' && statusOf(err).code === 404);
  });
  it('refuses creates in a terminating namespace with 403', async () => {
    await assert.rejects(
      plugin.admit(pod('dying')),
      (err) => statusOf(err).message === 'pods "p" is forbidden: unable to create new content in namespace dying because it is being terminated',
    );
  });
  it('refuses deleting the system namespaces', async () => {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const a = newAdmissionAttributes({ operation: 'DELETE', resource: 'namespaces', kind: 'Namespace', name, oldObject: { metadata: { name } } });
      await assert.rejects(async () => plugin.validate(a), (err) => statusOf(err).message === `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
    plugin.validate(newAdmissionAttributes({ operation: 'DELETE', resource: 'namespaces', name: 'live' }));
  });
});
