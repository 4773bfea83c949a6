import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { LIMIT_RANGER_ANNOTATION, LimitRanger } from './limit-ranger.js';
import { MemoryObjectReader } from './memory-object-reader.js';

describe('LimitRanger', () => {
  const reader = new MemoryObjectReader().add('', 'limitranges', {
    metadata: { name: 'lr', namespace: 'a' },
    spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' }, max: { cpu: '1' } }] },
  });
  const plugin = new LimitRanger(reader);

  it('applies defaults and records them in the annotation', async () => {
    const pod: KubeObject = { metadata: { name: 'p', namespace: 'a' }, spec: { containers: [{ name: 'c', resources: { requests: { memory: '64Mi' } } }] } };
    await plugin.admit(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: pod }));
    const c = ((pod['spec'] as Record<string, unknown>)['containers'] as { resources: unknown }[])[0];
    assert.deepEqual(c?.resources, { requests: { memory: '64Mi', cpu: '100m' }, limits: { cpu: '500m', memory: '256Mi' } });
    assert.equal(pod.metadata?.annotations?.[LIMIT_RANGER_ANNOTATION], 'LimitRanger plugin set: cpu request for container c; cpu, memory limit for container c');
  });
  it('refuses a container above max', async () => {
    const pod: KubeObject = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: '2' }, requests: { cpu: '2' } } }] } };
    await assert.rejects(
      plugin.validate(newAdmissionAttributes({ operation: 'CREATE', resource: 'pods', namespace: 'a', object: pod })),
      (err) => err instanceof StatusError && err.status.message === 'pods "p" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum cpu usage per Container is 1, but request is 2]',
    );
  });
});
