import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_RESOURCES, type ResourceInfo } from '../../api/scheme.js';
import type { APIGroupDiscoveryList } from './aggregated-discovery.js';
import { DiscoveryDocuments } from './discovery-documents.js';
import type { APIGroupList, APIResourceList, APIVersions } from './legacy-discovery.js';
import { storageVersionHash } from './storage-version-hash.js';

function parse<T>(doc: { json: string } | undefined): T {
  assert.ok(doc !== undefined);
  return JSON.parse(doc.json) as T;
}

void describe('DiscoveryDocuments', () => {
  const docs = new DiscoveryDocuments({
    resources: BUILTIN_RESOURCES,
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
  });

  void it('apiVersions() lists the core versions and server addresses', () => {
    const doc = parse<APIVersions>(docs.apiVersions());
    assert.deepEqual(doc, {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '10.0.0.1:6443' }],
    });
  });

  void it('apiGroupList() lists named groups with the preferred version first', () => {
    const doc = parse<APIGroupList>(docs.apiGroupList());
    assert.equal(doc.kind, 'APIGroupList');
    assert.equal(doc.apiVersion, 'v1');
    assert.ok(!doc.groups.some((g) => g.name === ''));
    const autoscaling = doc.groups.find((g) => g.name === 'autoscaling');
    assert.deepEqual(autoscaling, {
      name: 'autoscaling',
      versions: [
        { groupVersion: 'autoscaling/v2', version: 'v2' },
        { groupVersion: 'autoscaling/v1', version: 'v1' },
      ],
      preferredVersion: { groupVersion: 'autoscaling/v2', version: 'v2' },
    });
    assert.equal(doc.groups[0]?.name, 'apps');
  });

  void it('apiGroup() describes one named group and nothing else', () => {
    const doc = parse<{ kind: string; name: string }>(docs.apiGroup('apps'));
    assert.equal(doc.kind, 'APIGroup');
    assert.equal(doc.name, 'apps');
    assert.equal(docs.apiGroup(''), undefined);
    assert.equal(docs.apiGroup('nope.example.com'), undefined);
  });

  void it('apiResourceList() lists resources and subresources with kinds, verbs and hashes', () => {
    const doc = parse<APIResourceList>(docs.apiResourceList('apps', 'v1'));
    assert.equal(doc.kind, 'APIResourceList');
    assert.equal(doc.groupVersion, 'apps/v1');
    const names = doc.resources.map((r) => r.name);
    assert.deepEqual(names.slice(0, 4), ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments']);
    const deployments = doc.resources.find((r) => r.name === 'deployments');
    assert.deepEqual(deployments, {
      name: 'deployments',
      singularName: 'deployment',
      namespaced: true,
      kind: 'Deployment',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['deploy'],
      categories: ['all'],
      // Upstream publishes this exact value for apps/v1 Deployment.
      storageVersionHash: '8aSe+NMegvE=',
    });
    assert.deepEqual(
      doc.resources.find((r) => r.name === 'deployments/scale'),
      { name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] },
    );
    assert.deepEqual(
      doc.resources.find((r) => r.name === 'deployments/status'),
      { name: 'deployments/status', singularName: '', namespaced: true, kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
    );
  });

  void it('apiResourceList() hashes the storage version for resources stored elsewhere', () => {
    const events = parse<APIResourceList>(docs.apiResourceList('events.k8s.io', 'v1')).resources.find((r) => r.name === 'events');
    assert.equal(events?.storageVersionHash, storageVersionHash('', 'v1', 'Event'));
    const hpa = parse<APIResourceList>(docs.apiResourceList('autoscaling', 'v1')).resources.find((r) => r.name === 'horizontalpodautoscalers');
    assert.equal(hpa?.storageVersionHash, storageVersionHash('autoscaling', 'v2', 'HorizontalPodAutoscaler'));
  });

  void it('apiResourceList() returns undefined for what is not served', () => {
    assert.equal(docs.apiResourceList('apps', 'v1beta1'), undefined);
    assert.equal(docs.apiResourceList('example.com', 'v1'), undefined);
    assert.ok(docs.apiResourceList('', 'v1') !== undefined);
  });

  void it('aggregated("api") holds only the core group, without a name', () => {
    const doc = parse<APIGroupDiscoveryList>(docs.aggregated('api'));
    assert.equal(doc.kind, 'APIGroupDiscoveryList');
    assert.equal(doc.apiVersion, 'apidiscovery.k8s.io/v2');
    assert.equal(doc.items.length, 1);
    assert.deepEqual(doc.items[0]?.metadata, {});
    const v1 = doc.items[0]?.versions[0];
    assert.equal(v1?.version, 'v1');
    assert.equal(v1?.freshness, 'Current');
    const pods = v1?.resources.find((r) => r.resource === 'pods');
    assert.equal(pods?.scope, 'Namespaced');
    assert.equal(pods?.singularResource, 'pod');
    assert.deepEqual(pods?.responseKind, { group: '', version: 'v1', kind: 'Pod' });
    assert.deepEqual(pods?.shortNames, ['po']);
    assert.deepEqual(pods?.categories, ['all']);
    assert.deepEqual(
      pods?.subresources?.find((s) => s.subresource === 'eviction'),
      { subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'] },
    );
    assert.deepEqual(
      pods?.subresources?.find((s) => s.subresource === 'status'),
      { subresource: 'status', responseKind: { group: '', version: 'v1', kind: 'Pod' }, verbs: ['get', 'patch', 'update'] },
    );
    const nodes = v1?.resources.find((r) => r.resource === 'nodes');
    assert.equal(nodes?.scope, 'Cluster');
  });

  void it('aggregated("apis") holds every named group, preferred version first', () => {
    const doc = parse<APIGroupDiscoveryList>(docs.aggregated('apis'));
    assert.ok(doc.items.every((g) => typeof g.metadata.name === 'string' && g.metadata.name !== ''));
    const autoscaling = doc.items.find((g) => g.metadata.name === 'autoscaling');
    assert.deepEqual(autoscaling?.versions.map((v) => v.version), ['v2', 'v1']);
    const deployments = doc.items.find((g) => g.metadata.name === 'apps')?.versions[0]?.resources.find((r) => r.resource === 'deployments');
    assert.deepEqual(deployments?.subresources, [
      { subresource: 'scale', responseKind: { group: 'autoscaling', version: 'v1', kind: 'Scale' }, verbs: ['get', 'patch', 'update'] },
      { subresource: 'status', responseKind: { group: 'apps', version: 'v1', kind: 'Deployment' }, verbs: ['get', 'patch', 'update'] },
    ]);
  });

  void it('caches documents and gives each a stable quoted ETag', () => {
    const a = docs.aggregated('apis');
    assert.equal(docs.aggregated('apis'), a);
    assert.match(a.etag, /^"[0-9A-F]{128}"$/);
    assert.notEqual(docs.aggregated('api').etag, a.etag);
  });

  void it('setResources() rebuilds the documents with custom resources', () => {
    const local = new DiscoveryDocuments({ resources: BUILTIN_RESOURCES });
    const before = local.aggregated('apis');
    const crontab: ResourceInfo = {
      group: 'stable.example.com',
      version: 'v1',
      kind: 'CronTab',
      resource: 'crontabs',
      singular: 'crontab',
      namespaced: true,
      shortNames: ['ct'],
      verbs: ['get', 'list'],
    };
    local.setResources([...BUILTIN_RESOURCES, crontab]);
    const after = local.aggregated('apis');
    assert.notEqual(after.etag, before.etag);
    const group = parse<APIGroupDiscoveryList>(after).items.find((g) => g.metadata.name === 'stable.example.com');
    assert.equal(group?.versions[0]?.resources[0]?.resource, 'crontabs');
    assert.equal(parse<APIResourceList>(local.apiResourceList('stable.example.com', 'v1')).resources[0]?.kind, 'CronTab');
  });
});
