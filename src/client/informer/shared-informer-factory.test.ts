import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RestClient } from '../rest-client.js';
import { SharedInformerFactory } from './shared-informer-factory.js';

// Nothing is started: the client is never called.
const client = new RestClient({ server: 'https://127.0.0.1:9' });
const PODS = { version: 'v1', resource: 'pods' } as const;
const LEASES = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' } as const;

describe('SharedInformerFactory', () => {
  it('hands out one informer per collection, whatever name or subresource the path carries', () => {
    const f = new SharedInformerFactory({ client });
    assert.equal(f.informerFor(PODS), f.informerFor({ ...PODS, name: 'p', subresource: 'status' }));
    assert.notEqual(f.informerFor(PODS), f.informerFor({ ...PODS, namespace: 'kube-system' }));
  });

  it('answers a metadata informer with the full informer of the collection when there is one (no second copy)', () => {
    const f = new SharedInformerFactory({ client });
    const pods = f.informerFor(PODS);
    assert.equal(f.metadataInformerFor(PODS), pods);
  });

  it('makes a metadata-only informer otherwise, and never hands it to a caller that reads whole objects', () => {
    const f = new SharedInformerFactory({ client });
    const metadata = f.metadataInformerFor(LEASES);
    assert.equal(f.metadataInformerFor(LEASES), metadata);
    assert.notEqual(f.informerFor(LEASES), metadata);
  });
});
