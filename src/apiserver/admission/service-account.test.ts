import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { MemoryObjectReader } from './memory-object-reader.js';
import { SERVICE_ACCOUNT_MOUNT_PATH, ServiceAccount } from './service-account.js';

function podIn(ns: string, spec: Record<string, unknown>): KubeObject {
  return { metadata: { name: 'p', namespace: ns }, spec: { containers: [{ name: 'c', image: 'x' }], initContainers: [{ name: 'i', image: 'x' }], ...spec } };
}

describe('ServiceAccount', () => {
  const reader = new MemoryObjectReader()
    .add('', 'serviceaccounts', { metadata: { name: 'default', namespace: 'a' } })
    .add('', 'serviceaccounts', { metadata: { name: 'quiet', namespace: 'a' }, automountServiceAccountToken: false });
  const plugin = new ServiceAccount(reader, { random: () => 0, defaultAccountWaitMs: 0 });

  it('defaults serviceAccountName and mounts the projected token volume in every container', async () => {
    const pod = podIn('a', {});
    await plugin.admit(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: pod }));
    const spec = pod['spec'] as Record<string, unknown>;
    assert.equal(spec['serviceAccountName'], 'default');
    const volumes = spec['volumes'] as { name: string; projected: { sources: unknown[] } }[];
    assert.equal(volumes[0]?.name, 'kube-api-access-bbbbb');
    assert.equal(volumes[0]?.projected.sources.length, 3);
    for (const field of ['containers', 'initContainers']) {
      const c = (spec[field] as { volumeMounts: unknown[] }[])[0];
      assert.deepEqual(c?.volumeMounts, [{ name: 'kube-api-access-bbbbb', readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH }]);
    }
  });
  it('mounts nothing when the pod or the account turns automounting off', async () => {
    for (const spec of [{ automountServiceAccountToken: false }, { serviceAccountName: 'quiet' }]) {
      const pod = podIn('a', spec);
      await plugin.admit(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: pod }));
      assert.equal((pod['spec'] as Record<string, unknown>)['volumes'], undefined);
    }
  });
  it('refuses a missing service account as upstream does', async () => {
    const a = newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: podIn('a', { serviceAccountName: 'ghost' }) });
    await assert.rejects(
      plugin.admit(a),
      (err) => err instanceof StatusError && err.status.message === 'pods "p" is forbidden: error looking up service account a/ghost: serviceaccount "ghost" not found',
    );
  });
});
