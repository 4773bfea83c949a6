import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { MemoryObjectReader } from './memory-object-reader.js';
import { ResourceQuota } from './resource-quota.js';

function pod(name: string, cpu: string): KubeObject {
  return { metadata: { name, namespace: 'a' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu }, limits: { cpu } } }] } };
}

describe('ResourceQuota', () => {
  it('refuses a create past the hard limit with upstream message and keeps status current', async () => {
    const reader = new MemoryObjectReader()
      .add('', 'resourcequotas', { metadata: { name: 'q', namespace: 'a' }, spec: { hard: { pods: '2', 'requests.cpu': '1' } } })
      .add('', 'pods', pod('one', '300m'));
    const plugin = new ResourceQuota(reader, { refreshDelaysMs: [] });
    await plugin.validate(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: pod('two', '500m') }));
    reader.add('', 'pods', pod('two', '500m'));
    await assert.rejects(
      plugin.validate(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: pod('three', '100m') })),
      (err) => err instanceof StatusError && err.status.code === 403 && err.status.message === 'pods "three" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );
    await plugin.refresh('a');
    const quota = await reader.get('', 'resourcequotas', 'a', 'q');
    assert.deepEqual(quota?.['status'], { hard: { pods: '2', 'requests.cpu': '1' }, used: { pods: '2', 'requests.cpu': '800m' } });
  });
  it('requires compute resources once a quota limits them', async () => {
    const reader = new MemoryObjectReader().add('', 'resourcequotas', { metadata: { name: 'q', namespace: 'a' }, spec: { hard: { 'limits.memory': '1Gi' } } });
    const plugin = new ResourceQuota(reader, { refreshDelaysMs: [] });
    await assert.rejects(
      plugin.validate(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: pod('p', '1') })),
      (err) => err instanceof StatusError && err.status.message === 'pods "p" is forbidden: failed quota: q: must specify limits.memory for: c',
    );
  });
});
