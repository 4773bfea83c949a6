import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { KubeObject } from '../api/meta/types.js';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import type { SharedInformer } from '../client/informer/shared-informer.js';
import type { ResourcePath } from '../client/resource-path.js';
import { defaultIngressClass } from './ingress-class.js';
import { IngressController, INGRESS_CLASSES, INGRESSES, loadBalancerIngressOf } from './ingress-controller.js';

/** fakeInformer serves a fixed list from its store; event handlers are not needed here. */
function fakeInformer(items: KubeObject[]): SharedInformer {
  const key = (o: KubeObject): string => `${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? ''}`;
  return { store: { list: () => items, get: (k: string) => items.find((o) => key(o) === k) }, addEventHandler: () => undefined } as unknown as SharedInformer;
}

const ingress: KubeObject = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'default' }, spec: { ingressClassName: 'tkube', rules: [] } };

function setup(writes: () => boolean): { controller: IngressController; updates: KubeObject[] } {
  const updates: KubeObject[] = [];
  const byPath = (p: ResourcePath): KubeObject[] => (p.resource === INGRESSES.resource ? [ingress] : p.resource === INGRESS_CLASSES.resource ? [defaultIngressClass()] : []);
  const controller = new IngressController({
    client: { update: async (_p: ResourcePath, o: KubeObject) => (updates.push(o), o), create: async (_p: ResourcePath, o: KubeObject) => o } as never,
    informers: { informerFor: (p: ResourcePath) => fakeInformer(byPath(p)) },
    clock: new FakeClock(),
    log: newLogger('test'),
    addresses: ['10.0.0.1'],
    writesStatus: writes,
  });
  return { controller, updates };
}

void describe('Ingress status with several servers', () => {
  void it('lists every server\'s address once setAddresses is called, IPs and host names', async () => {
    const { controller, updates } = setup(() => true);
    controller.setAddresses(['10.0.0.1', '10.0.0.2', 'lb.example']);
    assert.deepEqual(controller.addresses(), ['10.0.0.1', '10.0.0.2', 'lb.example']);
    await controller.reconcileStatus('default/web');
    assert.deepEqual((updates[0]?.['status'] as { loadBalancer: unknown }).loadBalancer, { ingress: loadBalancerIngressOf(['10.0.0.1', '10.0.0.2', 'lb.example']) });
    assert.deepEqual(loadBalancerIngressOf(['10.0.0.2', 'lb.example']), [{ ip: '10.0.0.2' }, { hostname: 'lb.example' }]);
  });

  void it('writes nothing while another server holds the status Lease', async () => {
    let leading = false;
    const { controller, updates } = setup(() => leading);
    await controller.reconcileStatus('default/web');
    assert.equal(updates.length, 0);
    leading = true;
    await controller.reconcileStatus('default/web');
    assert.equal(updates.length, 1);
  });

  void it('keeps the addresses when told an empty list (no server announced any yet)', () => {
    const { controller } = setup(() => true);
    controller.setAddresses([]);
    assert.deepEqual(controller.addresses(), ['10.0.0.1']);
  });
});
