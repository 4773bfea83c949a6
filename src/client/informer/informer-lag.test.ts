import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderInformerLag } from './informer-lag.js';
import type { SharedInformerFactory } from './shared-informer-factory.js';

/** factoryOf stands in for a factory with informers at the given resourceVersions (only what the gauge reads). */
function factoryOf(informers: { group?: string; resource: string; namespace?: string; metadataOnly?: boolean; rv: string; synced?: boolean }[]): SharedInformerFactory {
  return {
    collections: () =>
      informers.map((i) => ({
        path: { group: i.group ?? '', version: 'v1', resource: i.resource, namespace: i.namespace ?? '' },
        metadataOnly: i.metadataOnly === true,
        informer: { lastSyncResourceVersion: () => i.rv, hasSynced: () => i.synced !== false },
      })),
  } as unknown as SharedInformerFactory;
}

describe('renderInformerLag', () => {
  it('reports the watch cache events above each whole-collection informer\'s resourceVersion', () => {
    const asked: string[] = [];
    const text = renderInformerLag(
      factoryOf([
        { resource: 'pods', rv: '100' },
        { group: 'apps', resource: 'deployments', rv: '90' },
        { resource: 'leases', namespace: 'kube-node-lease', rv: '10' }, // one namespace: the cache counts all of them
        { resource: 'nodes', rv: '5', synced: false }, // not listed yet: nothing to compare
        { resource: 'secrets', rv: '7' }, // no watch cache
      ]),
      (group, resource, rv) => {
        asked.push(`${group}/${resource}@${rv}`);
        return resource === 'pods' ? 42 : resource === 'deployments' ? 0 : undefined;
      },
    );
    assert.deepEqual(asked, ['/pods@100', 'apps/deployments@90', '/secrets@7']);
    const series = text.split('\n').filter((l) => l.startsWith('tkube_informer_pending_events{'));
    assert.deepEqual(series, ['tkube_informer_pending_events{group="",resource="pods"} 42', 'tkube_informer_pending_events{group="apps",resource="deployments"} 0']);
    assert.match(text, /# TYPE tkube_informer_pending_events gauge/);
  });
});
