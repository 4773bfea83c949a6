/**
 * The storage conformance suite on etcd over TLS with client-certificate authentication and a key prefix (a file of
 * its own so each file stays short: every case starts a fresh etcd).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';

import { EtcdCluster, etcdMissing } from '../../../test/harness/etcd.js';
import { runStorageConformance } from '../conformance.js';
import { EtcdStorage } from './etcd-storage.js';

const missing = etcdMissing();

if (missing) {
  void describe('EtcdStorage over TLS', { skip: missing }, () => undefined);
} else {
  runStorageConformance('EtcdStorage over TLS with client certificates and a key prefix', async () => {
    const etcd = await EtcdCluster.start({ tls: true });
    const tls = etcd.tls;
    assert.ok(tls);
    const storage = await EtcdStorage.open({ endpoints: etcd.endpoints, caPem: tls.caPem, certPem: tls.certPem, keyPem: tls.keyPem, keyPrefix: '/tkube-test' });
    return { storage, cleanup: () => etcd.stop() };
  });
}
