import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/meta/status-error.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { AdmissionAttributes } from '../admission/admission.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';
import { NodeAuthorizer, type NodeGraph } from './node-authorizer.js';
import { NodeRestriction } from './node-restriction.js';

const node1: UserInfo = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const pods: KubeObject[] = [
  { metadata: { name: 'p1', namespace: 'ns' }, spec: { nodeName: 'n1', serviceAccountName: 'sa', volumes: [{ secret: { secretName: 's1' } }, { configMap: { name: 'c1' } }], containers: [{ envFrom: [{ secretRef: { name: 's2' } }] }] } },
  { metadata: { name: 'p2', namespace: 'ns' }, spec: { nodeName: 'n2', volumes: [{ secret: { secretName: 's3' } }] } },
];
const graph: NodeGraph = {
  podsOnNode: async (n) => pods.filter((p) => (p.spec as { nodeName?: string }).nodeName === n),
  pod: async (ns, name) => pods.find((p) => p.metadata?.namespace === ns && p.metadata.name === name),
};

function info(verb: string, resource: string, more: Partial<RequestInfo> = {}): RequestInfo {
  return { isResourceRequest: true, path: '', verb, apiPrefix: 'api', apiGroup: '', apiVersion: 'v1', namespace: '', resource, subresource: '', name: '', parts: [], ...more };
}

describe('NodeAuthorizer', () => {
  const a = new NodeAuthorizer(graph);
  const allowed = async (i: RequestInfo, user = node1): Promise<boolean> => (await a.authorize(user, i)).allowed;

  it('reads only secrets and configmaps its pods reference', async () => {
    assert.equal(await allowed(info('get', 'secrets', { namespace: 'ns', name: 's1' })), true);
    assert.equal(await allowed(info('get', 'secrets', { namespace: 'ns', name: 's2' })), true);
    assert.equal(await allowed(info('get', 'configmaps', { namespace: 'ns', name: 'c1' })), true);
    assert.equal(await allowed(info('get', 'secrets', { namespace: 'ns', name: 's3' })), false);
    assert.equal(await allowed(info('list', 'secrets', { namespace: 'ns' })), false);
    assert.equal(await allowed(info('create', 'serviceaccounts', { namespace: 'ns', name: 'sa', subresource: 'token' })), true);
    assert.equal(await allowed(info('create', 'serviceaccounts', { namespace: 'ns', name: 'default', subresource: 'token' })), false);
  });

  it('writes only its own node, lease and pods', async () => {
    assert.equal(await allowed(info('get', 'nodes', { name: 'n2' })), true);
    assert.equal(await allowed(info('patch', 'nodes', { name: 'n1', subresource: 'status' })), true);
    assert.equal(await allowed(info('patch', 'nodes', { name: 'n2', subresource: 'status' })), false);
    assert.equal(await allowed(info('update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n1' })), true);
    assert.equal(await allowed(info('update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n2' })), false);
    assert.equal(await allowed(info('patch', 'pods', { namespace: 'ns', name: 'p1', subresource: 'status' })), true);
    assert.equal(await allowed(info('patch', 'pods', { namespace: 'ns', name: 'p2', subresource: 'status' })), false);
    assert.equal(await allowed(info('create', 'events', { namespace: 'ns' })), true);
    assert.equal(await allowed(info('delete', 'namespaces', { name: 'ns' })), false);
  });

  it('has no opinion about other users', async () => {
    assert.equal(await allowed(info('get', 'nodes'), { username: 'system:node:n1', groups: [] }), false);
  });
});

describe('NodeRestriction', () => {
  const plugin = new NodeRestriction();
  const attrs = (resource: string, operation: AdmissionAttributes['operation'], object: KubeObject | undefined, oldObject?: KubeObject, subresource = ''): AdmissionAttributes => ({
    operation, group: resource === 'leases' ? 'coordination.k8s.io' : '', version: 'v1', resource, subresource, kind: '', namespace: resource === 'nodes' ? '' : 'ns', name: (object ?? oldObject)?.metadata?.name ?? '', object, oldObject, user: node1, dryRun: false, warn: () => undefined,
  });
  const refused = (a: AdmissionAttributes): string => {
    try {
      plugin.validate(a);
    } catch (err) {
      assert.ok(err instanceof StatusError && err.status.code === 403);
      return err.status.message ?? '';
    }
    return '';
  };

  it('lets a node create only its mirror pods and touch only its pods and node', () => {
    assert.match(refused(attrs('pods', 'CREATE', { metadata: { name: 'x' }, spec: { nodeName: 'n1' } })), /can only create mirror pods/);
    assert.equal(refused(attrs('pods', 'CREATE', { metadata: { name: 'x', annotations: { 'kubernetes.io/config.mirror': 'h' } }, spec: { nodeName: 'n1' } })), '');
    assert.match(refused(attrs('pods', 'DELETE', undefined, pods[1])), /can only delete pods with spec.nodeName set to itself/);
    assert.equal(refused(attrs('pods', 'UPDATE', pods[0], pods[0], 'status')), '');
    assert.match(refused(attrs('nodes', 'UPDATE', { metadata: { name: 'n2' } })), /node "n1" is not allowed to modify node "n2"/);
    assert.equal(refused(attrs('nodes', 'CREATE', { metadata: { name: 'n1' } })), '');
    assert.equal(plugin.handles(attrs('pods', 'CREATE', pods[0])), true);
  });
});
