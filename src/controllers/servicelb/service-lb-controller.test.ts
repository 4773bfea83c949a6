import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { newLogger } from '../../base/log/logger.js';
import { ApiError } from '../../client/api-error.js';
import { Store } from '../../client/informer/store.js';
import type { ResourcePath } from '../../client/resource-path.js';
import { CLEANUP_FINALIZER, ENABLE_LB_LABEL, LOAD_BALANCER_CLASS, loadBalancerIngressFor, ServiceLBController } from './service-lb-controller.js';

class RecordingClient {
  readonly calls: { path: ResourcePath; body: KubeObject }[] = [];
  fail: ApiError | undefined;
  async update(path: ResourcePath, body: KubeObject): Promise<KubeObject> {
    this.calls.push({ path, body });
    if (this.fail) throw this.fail;
    return body;
  }
}

function node(name: string, opts: { ip?: string; externalIP?: string; ready?: boolean; unschedulable?: boolean; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: opts.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
      addresses: [{ type: 'InternalIP', address: opts.ip ?? '192.168.0.1' }, ...(opts.externalIP ? [{ type: 'ExternalIP', address: opts.externalIP }] : []), { type: 'Hostname', address: name }],
    },
  } as KubeObject;
}

/** svc makes a Service; `marked` gives it the cleanup finalizer the controller puts on its LoadBalancers. */
function svc(name: string, spec: Record<string, unknown>, status: Record<string, unknown> = { loadBalancer: {} }, marked = true): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', resourceVersion: '7', ...(marked ? { finalizers: [CLEANUP_FINALIZER] } : {}) }, spec: { ports: [{ port: 80 }], ...spec }, status } as KubeObject;
}

function setup(): { client: RecordingClient; services: Store; nodes: Store; controller: ServiceLBController } {
  const client = new RecordingClient();
  const services = new Store();
  const nodes = new Store();
  const controller = new ServiceLBController({ client: client as never, services: { store: services }, nodes: { store: nodes }, log: newLogger('test') });
  return { client, services, nodes, controller };
}

const ingressOf = (body: KubeObject | undefined): unknown => (body?.['status'] as { loadBalancer?: { ingress?: unknown } } | undefined)?.loadBalancer?.ingress;

void describe('servicelb', () => {
  void it('serves on the Ready, schedulable nodes\' internal and external IPs, sorted, with ipMode VIP', () => {
    const ing = loadBalancerIngressFor([
      node('b', { ip: '192.168.0.10', externalIP: '203.0.113.5' }),
      node('a', { ip: '192.168.0.9' }),
      node('down', { ip: '192.168.0.20', ready: false }),
      node('cordoned', { ip: '192.168.0.21', unschedulable: true }),
      node('v6', { ip: 'fd00::1' }),
    ]);
    assert.deepEqual(ing, [
      { ip: '192.168.0.9', ipMode: 'VIP' },
      { ip: '192.168.0.10', ipMode: 'VIP' },
      { ip: '203.0.113.5', ipMode: 'VIP' },
      { ip: 'fd00::1', ipMode: 'VIP' },
    ]);
  });

  void it('uses only the nodes labelled enablelb=true once any node has the label', () => {
    const ing = loadBalancerIngressFor([node('a', { ip: '10.0.0.1' }), node('b', { ip: '10.0.0.2', labels: { [ENABLE_LB_LABEL]: 'true' } }), node('c', { ip: '10.0.0.3', labels: { [ENABLE_LB_LABEL]: 'false' } })]);
    assert.deepEqual(ing, [{ ip: '10.0.0.2', ipMode: 'VIP' }]);
  });

  void it('writes the addresses through services/status, and nothing when they are current', async () => {
    const { client, services, nodes, controller } = setup();
    nodes.add(node('n1', { ip: '10.0.0.1' }));
    services.add(svc('web', { type: 'LoadBalancer' }));
    await controller.reconcile('default/web');
    assert.equal(client.calls.length, 1);
    assert.deepEqual(client.calls[0]?.path, { version: 'v1', resource: 'services', namespace: 'default', name: 'web', subresource: 'status' });
    assert.equal(client.calls[0]?.body.metadata?.resourceVersion, '7');
    assert.deepEqual(ingressOf(client.calls[0]?.body), [{ ip: '10.0.0.1', ipMode: 'VIP' }]);
    services.update(svc('web', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } }));
    await controller.reconcile('default/web');
    assert.equal(client.calls.length, 1);
    nodes.add(node('n2', { ip: '10.0.0.2' }));
    await controller.reconcile('default/web');
    assert.deepEqual(ingressOf(client.calls[1]?.body), [
      { ip: '10.0.0.1', ipMode: 'VIP' },
      { ip: '10.0.0.2', ipMode: 'VIP' },
    ]);
  });

  void it('marks a new LoadBalancer with the cleanup finalizer before it writes any status', async () => {
    const { client, services, nodes, controller } = setup();
    nodes.add(node('n1', { ip: '10.0.0.1' }));
    services.add(svc('web', { type: 'LoadBalancer' }, { loadBalancer: {} }, false));
    await controller.reconcile('default/web');
    assert.equal(client.calls.length, 1);
    assert.deepEqual(client.calls[0]?.path, { version: 'v1', resource: 'services', namespace: 'default', name: 'web' });
    assert.deepEqual(client.calls[0]?.body.metadata?.finalizers, [CLEANUP_FINALIZER]);
  });

  void it('clears its addresses and finalizer when the type changes away, and clears them when no node serves', async () => {
    const { client, services, controller } = setup();
    services.add(svc('web', { type: 'ClusterIP' }, { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } }));
    await controller.reconcile('default/web');
    assert.deepEqual(client.calls[0]?.body['status'], { loadBalancer: {} });
    assert.deepEqual(client.calls[1]?.path, { version: 'v1', resource: 'services', namespace: 'default', name: 'web' });
    assert.deepEqual(client.calls[1]?.body.metadata?.finalizers, []);
    services.add(svc('lb', { type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '10.0.0.1', ipMode: 'VIP' }] } }));
    await controller.reconcile('default/lb');
    assert.deepEqual(client.calls[2]?.body['status'], { loadBalancer: {} });
    assert.equal(client.calls.length, 3);
  });

  void it('never touches a status it did not write (no finalizer)', async () => {
    const { client, services, controller } = setup();
    services.add(svc('other', { type: 'ClusterIP' }, { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } }, false));
    await controller.reconcile('default/other');
    assert.deepEqual(client.calls, []);
  });

  void it('leaves Services of another loadBalancerClass, other types without status, and missing ones alone', async () => {
    const { client, services, nodes, controller } = setup();
    nodes.add(node('n1'));
    services.add(svc('metallb', { type: 'LoadBalancer', loadBalancerClass: 'metallb.io/metallb' }, { loadBalancer: {} }, false));
    services.add(svc('plain', { type: 'ClusterIP' }, { loadBalancer: {} }, false));
    for (const k of ['default/metallb', 'default/plain', 'default/absent']) await controller.reconcile(k);
    assert.deepEqual(client.calls, []);
    services.add(svc('ours', { type: 'LoadBalancer', loadBalancerClass: LOAD_BALANCER_CLASS }));
    await controller.reconcile('default/ours');
    assert.equal(client.calls.length, 1);
  });

  void it('ignores a Service deleted meanwhile and retries other failures', async () => {
    const { client, services, nodes, controller } = setup();
    nodes.add(node('n1'));
    services.add(svc('web', { type: 'LoadBalancer' }));
    client.fail = new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: 'gone' } as never);
    await controller.reconcile('default/web');
    client.fail = new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict', message: 'the object has been modified' } as never);
    await assert.rejects(controller.reconcile('default/web'), /modified/);
  });
});
