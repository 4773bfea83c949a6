import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ApiError } from '../client/api-error.js';
import type { RestClient } from '../client/rest-client.js';
import { ApiObjectSource, OBJECT_REUSE_MS } from './object-source.js';

/** A RestClient that answers GETs from a map and counts them (LISTs of Services too, answered empty). */
function fakeClient(objects: Map<string, unknown>): { client: RestClient; gets: string[] } {
  const gets: string[] = [];
  const client = {
    list: async (path: { resource: string; namespace?: string }) => {
      gets.push(`list ${path.resource}/${path.namespace ?? ''}`);
      await Promise.resolve();
      return { items: [] };
    },
    get: async (path: { resource: string; namespace?: string; name: string }) => {
      const key = `${path.resource}/${path.namespace ?? ''}/${path.name}`;
      gets.push(key);
      await Promise.resolve();
      const obj = objects.get(key);
      if (obj === undefined) throw new ApiError({ apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound', message: `${key} not found` });
      return structuredClone(obj);
    },
  } as unknown as RestClient;
  return { client, gets };
}

void describe('ApiObjectSource', () => {
  void it('shares a ConfigMap read under way and reuses it for a moment, but never a "not found"', async () => {
    const objects = new Map<string, unknown>([['configmaps/default/kube-root-ca.crt', { data: { 'ca.crt': 'A' } }]]);
    const { client, gets } = fakeClient(objects);
    let now = 1_000;
    const source = new ApiObjectSource(client, () => now);
    const reads = await Promise.all([source.configMap('default', 'kube-root-ca.crt'), source.configMap('default', 'kube-root-ca.crt')]);
    assert.deepEqual(reads.map((r) => r?.data?.['ca.crt']), ['A', 'A']);
    assert.equal((await source.configMap('default', 'kube-root-ca.crt'))?.data?.['ca.crt'], 'A');
    assert.equal(gets.length, 1);
    objects.set('configmaps/default/kube-root-ca.crt', { data: { 'ca.crt': 'B' } });
    now += OBJECT_REUSE_MS;
    assert.equal((await source.configMap('default', 'kube-root-ca.crt'))?.data?.['ca.crt'], 'B');
    assert.equal(gets.length, 2);

    assert.equal(await source.secret('default', 'later'), undefined);
    objects.set('secrets/default/later', { data: { k: 'dg==' } });
    assert.equal((await source.secret('default', 'later'))?.data?.['k'], 'dg==');
    assert.equal(gets.length, 4);
  });

  void it('reads Services from a synced lister without a request, and LISTs them until it has synced', async () => {
    const { client, gets } = fakeClient(new Map());
    let synced = false;
    const svc = { metadata: { name: 'web', namespace: 'default' } };
    const source = new ApiObjectSource(client, () => 0, { hasSynced: () => synced, byNamespace: (ns) => (ns === 'default' ? [svc] : []) });
    assert.deepEqual(await source.services('default'), []);
    assert.deepEqual(gets, ['list services/default']);
    synced = true;
    assert.deepEqual(await source.services('default'), [svc]);
    assert.deepEqual(await source.services('other'), []);
    assert.equal(gets.length, 1);
  });
});
