import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { newAdmissionAttributes } from './admission-attributes.js';
import { DefaultIngressClass, DEFAULT_INGRESS_CLASS_ANNOTATION } from './default-ingress-class.js';
import { MemoryObjectReader } from './memory-object-reader.js';

const classOf = (ing: KubeObject): unknown => (ing['spec'] as Record<string, unknown>)['ingressClassName'];
const create = (object: KubeObject): ReturnType<typeof newAdmissionAttributes> => newAdmissionAttributes({ operation: 'CREATE', group: 'networking.k8s.io', resource: 'ingresses', namespace: 'a', object });

void describe('DefaultIngressClass', () => {
  void it('gives an Ingress without class the newest default class, and leaves named or annotated ones alone', async () => {
    const reader = new MemoryObjectReader()
      .add('networking.k8s.io', 'ingressclasses', { metadata: { name: 'old', creationTimestamp: '2025-01-01T00:00:00Z', annotations: { [DEFAULT_INGRESS_CLASS_ANNOTATION]: 'true' } } })
      .add('networking.k8s.io', 'ingressclasses', { metadata: { name: 'new', creationTimestamp: '2026-01-01T00:00:00Z', annotations: { [DEFAULT_INGRESS_CLASS_ANNOTATION]: 'true' } } })
      .add('networking.k8s.io', 'ingressclasses', { metadata: { name: 'plain', creationTimestamp: '2027-01-01T00:00:00Z' } });
    const plugin = new DefaultIngressClass(reader);
    const bare: KubeObject = { metadata: { name: 'i' }, spec: {} };
    await plugin.admit(create(bare));
    assert.equal(classOf(bare), 'new');
    const named: KubeObject = { metadata: { name: 'i' }, spec: { ingressClassName: 'plain' } };
    await plugin.admit(create(named));
    assert.equal(classOf(named), 'plain');
    const annotated: KubeObject = { metadata: { name: 'i', annotations: { 'kubernetes.io/ingress.class': 'nginx' } }, spec: {} };
    await plugin.admit(create(annotated));
    assert.equal(classOf(annotated), undefined);
  });

  void it('leaves the class unset without a default, and only acts on creation', async () => {
    const plugin = new DefaultIngressClass(new MemoryObjectReader().add('networking.k8s.io', 'ingressclasses', { metadata: { name: 'plain' } }));
    const bare: KubeObject = { metadata: { name: 'i' }, spec: {} };
    await plugin.admit(create(bare));
    assert.equal(classOf(bare), undefined);
    assert.equal(plugin.handles(newAdmissionAttributes({ operation: 'UPDATE', group: 'networking.k8s.io', resource: 'ingresses', namespace: 'a', object: bare })), false);
  });
});
