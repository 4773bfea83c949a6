/**
 * `tkube snapshot` with etcd: saved online through etcd's snapshot API, restored with etcdctl into a new etcd, the
 * cluster's objects come back identical (the save and restore run in-process; the CLI path is covered by
 * snapshot.test.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { restoreSnapshot, saveSnapshot } from '../../src/boot/snapshot.js';
import { EtcdCluster, etcdMissing } from '../harness/etcd.js';
import { commandExists } from '../harness/host-tools.js';
import { TestCluster } from '../harness/test-cluster.js';
import { assertRestored, makeObjects, state } from '../harness/snapshot-objects.js';

const etcdSkip = etcdMissing() || (commandExists('etcdctl') ? false : 'needs etcdctl (Debian package etcd-client)');

void describe('tkube snapshot with etcd', { skip: etcdSkip }, () => {
  void it('saves online and restores every object through a new etcd', async () => {
    const work = await mkdtemp(join(tmpdir(), 'tkube-it-snapshot-'));
    let etcd: EtcdCluster | undefined;
    let etcd2: EtcdCluster | undefined;
    let c: TestCluster | undefined;
    let restored: TestCluster | undefined;
    try {
      etcd = await EtcdCluster.start();
      const endpoint = etcd.endpoints.join(',');
      c = await TestCluster.start({ args: ['--datastore-endpoint', endpoint] });
      await makeObjects(c);
      const before = await state(c);
      const file = join(work, 'cluster.snapshot');
      const saved = await saveSnapshot({ dataDir: c.dataDir, datastoreEndpoint: endpoint }, file);
      assert.equal(saved.datastore, 'etcd');
      await c.kill('SIGTERM');
      await etcd.stop();
      const fresh = join(work, 'restored');
      const unpacked = await restoreSnapshot(file, fresh);
      assert.equal(unpacked.databasePath, join(fresh, 'db', 'etcd-snapshot.db'));
      etcd2 = await EtcdCluster.start({ restoreFrom: unpacked.databasePath });
      restored = await TestCluster.start({ dataDir: fresh, args: ['--datastore-endpoint', etcd2.endpoints.join(',')] });
      await assertRestored(restored, before);
    } finally {
      await restored?.stop();
      await c?.stop();
      await etcd2?.stop();
      await etcd?.stop();
      await rm(work, { recursive: true, force: true });
    }
  });
});
