import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { bootstrapCluster } from '../registry/bootstrap.js';
import { startServer } from './testing/test-server.js';

const NS = '/api/v1/namespaces';
const pod = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: name } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

void describe('ResourceDispatcher with the built-in strategies', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    srv = await startServer();
    const d = srv.dispatcher;
    await bootstrapCluster({
      namespaces: d.storeFor('', 'namespaces')!,
      services: d.storeFor('', 'services')!,
      endpoints: d.storeFor('', 'endpoints')!,
      kubernetesServiceIp: d.serviceAllocation.ips.nth(1),
      advertiseAddress: '127.0.0.1',
    });
  });
  after(async () => {
    await srv.stop();
  });

  void it('pods: defaults, Table columns, binding, graceful deletion', async () => {
    const c = await srv.call('POST', `${NS}/default/pods`, pod('p1'));
    assert.equal(c.status, 201, c.text);
    const table = await srv.call('GET', `${NS}/default/pods`, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    const cols = (table.json['columnDefinitions'] as { name: string }[]).map((x) => x.name);
    assert.equal(cols[0], 'Name');
    assert.ok(cols.length > 2, `pod columns: ${cols.join(',')}`);
    const bind = await srv.call('POST', `${NS}/default/pods/p1/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(bind.status, 201, bind.text);
    const bound = await srv.call('GET', `${NS}/default/pods/p1`);
    assert.equal((bound.json['spec'] as { nodeName: string }).nodeName, 'n1');
    const conds = (bound.json['status'] as { conditions?: { type: string }[] }).conditions ?? [];
    assert.ok(conds.some((x) => x.type === 'PodScheduled'));
    const del = await srv.call('DELETE', `${NS}/default/pods/p1`);
    assert.equal(del.status, 200);
    assert.ok(del.json.metadata?.deletionTimestamp, 'a bound pod waits for its kubelet');
    assert.equal(del.json.metadata?.deletionGracePeriodSeconds, 30);
    const force = await srv.call('DELETE', `${NS}/default/pods/p1?gracePeriodSeconds=0`);
    assert.equal(force.status, 200);
    assert.equal((await srv.call('GET', `${NS}/default/pods/p1`)).status, 404);
  });

  void it('deployments: generation, scale and status subresources', async () => {
    const d = await srv.call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    });
    assert.equal(d.status, 201, d.text);
    assert.equal(d.json.metadata?.generation, 1);
    const scale = await srv.call('GET', '/apis/apps/v1/namespaces/default/deployments/web/scale');
    const put = await srv.call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/scale', { ...scale.json, spec: { replicas: 3 } });
    assert.equal(put.status, 200, put.text);
    const after = await srv.call('GET', '/apis/apps/v1/namespaces/default/deployments/web');
    assert.equal((after.json['spec'] as { replicas: number }).replicas, 3);
    assert.equal(after.json.metadata?.generation, 2);
    const st = await srv.call('PUT', '/apis/apps/v1/namespaces/default/deployments/web/status', { ...after.json, status: { replicas: 3, observedGeneration: 2 } });
    assert.equal(st.status, 200, st.text);
    assert.equal((st.json['status'] as { replicas: number }).replicas, 3);
    assert.equal(st.json.metadata?.generation, 2);
  });

  void it('services: a PUT without clusterIP keeps the allocated one; the kubernetes Service holds .1', async () => {
    const k = await srv.call('GET', `${NS}/default/services/kubernetes`);
    assert.equal((k.json['spec'] as { clusterIP: string }).clusterIP, '10.43.0.1');
    const s = await srv.call('POST', `${NS}/default/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { type: 'NodePort', selector: { app: 's' }, ports: [{ port: 80 }] } });
    assert.equal(s.status, 201, s.text);
    const spec = s.json['spec'] as { clusterIP: string; ports: { nodePort: number }[] };
    const replaced = await srv.call('PUT', `${NS}/default/services/s`, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { type: 'NodePort', selector: { app: 's2' }, ports: [{ port: 80 }] },
    });
    assert.equal(replaced.status, 200, replaced.text);
    const rspec = replaced.json['spec'] as { clusterIP: string; ports: { nodePort: number }[] };
    assert.equal(rspec.clusterIP, spec.clusterIP);
    assert.equal(rspec.ports[0]?.nodePort, spec.ports[0]?.nodePort);
  });

  void it('namespaces: deletion marks Terminating and refuses new content with 403', async () => {
    assert.equal((await srv.call('POST', NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } })).status, 201);
    const del = await srv.call('DELETE', `${NS}/doomed`);
    assert.equal(del.status, 200, del.text);
    assert.equal((del.json['status'] as { phase: string }).phase, 'Terminating');
    const cm = await srv.call('POST', `${NS}/doomed/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    assert.equal(cm.status, 403);
    assert.match(String(cm.json['message']), /unable to create new content in namespace doomed because it is being terminated/);
  });
});
