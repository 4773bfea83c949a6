import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterDnsAddressOf } from './cluster-dns.js';

describe('clusterDnsAddressOf', () => {
  it('is the 10th address of the service range', () => {
    assert.equal(clusterDnsAddressOf('10.43.0.0/16'), '10.43.0.10');
    assert.equal(clusterDnsAddressOf('10.96.0.0/12'), '10.96.0.10');
    assert.throws(() => clusterDnsAddressOf('10.0.0.0/30'), /too small/);
  });
});
