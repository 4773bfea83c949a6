import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { freePort } from '../../base/net/free-port.js';
import { EtcdCluster, etcdMissing } from '../../../test/harness/etcd.js';
import { runStorageConformance } from '../conformance.js';
import { CompactedError, StorageUnavailableError } from '../errors.js';
import type { WatchEvent } from '../storage.js';
import { EtcdStorage } from './etcd-storage.js';

const missing = etcdMissing();
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Polls `cond` until it holds or the deadline passes. */
async function eventually(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `body` with a fresh etcd and removes it afterwards. */
async function withEtcd(options: Parameters<typeof EtcdCluster.start>[0], body: (etcd: EtcdCluster) => Promise<void>): Promise<void> {
  const etcd = await EtcdCluster.start(options);
  try {
    await body(etcd);
  } finally {
    await etcd.stop();
  }
}

if (missing) {
  void describe('EtcdStorage', { skip: missing }, () => undefined);
} else {
  // Every case gets its own etcd: the contract starts at revision 0 with no compaction, which a shared etcd cannot give.
  runStorageConformance('EtcdStorage', async () => {
    const etcd = await EtcdCluster.start();
    const storage = await EtcdStorage.open({ endpoints: etcd.endpoints });
    return { storage, cleanup: () => etcd.stop() };
  });

  void describe('EtcdStorage', () => {
    void it('fails to open within the timeout, naming the endpoint, when nothing listens there', async () => {
      const endpoint = `http://127.0.0.1:${await freePort()}`;
      const started = Date.now();
      const err = await EtcdStorage.open({ endpoints: [endpoint], connectTimeoutMs: 2000 }).then(
        () => assert.fail('open succeeded'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof StorageUnavailableError);
      assert.match(err.message, new RegExp(`Cannot reach etcd at ${endpoint}`));
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    });

    void it('refuses a TLS etcd without a client certificate, with a hint about the datastore flags', () =>
      withEtcd({ tls: true }, async (etcd) => {
        const err = await EtcdStorage.open({ endpoints: etcd.endpoints, caPem: etcd.tls?.caPem, connectTimeoutMs: 2000 }).then(
          () => assert.fail('open succeeded'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof StorageUnavailableError);
        assert.match(err.message, /--datastore-certfile/);
      }));

    void it('keeps keys of different prefixes apart and stores them under the prefix', () =>
      withEtcd({}, async (etcd) => {
        const a = await EtcdStorage.open({ endpoints: etcd.endpoints, keyPrefix: '/a' });
        const b = await EtcdStorage.open({ endpoints: etcd.endpoints, keyPrefix: '/b' });
        const raw = await EtcdStorage.open({ endpoints: etcd.endpoints });
        try {
          await a.create('/registry/x', enc.encode('from a'));
          await b.create('/registry/x', enc.encode('from b'));
          assert.equal(dec.decode((await a.get('/registry/x'))?.value), 'from a');
          assert.equal(dec.decode((await b.get('/registry/x'))?.value), 'from b');
          assert.equal(await a.count(''), 1);
          assert.deepEqual((await raw.list('')).items.map((kv) => kv.key), ['/a/registry/x', '/b/registry/x']);
        } finally {
          await Promise.all([a.close(), b.close(), raw.close()]);
        }
      }));

    void it('learns of a compaction made by another server', () =>
      withEtcd({}, async (etcd) => {
        const mine = await EtcdStorage.open({ endpoints: etcd.endpoints });
        const other = await EtcdStorage.open({ endpoints: etcd.endpoints });
        try {
          const c = await mine.create('/k', enc.encode('1'));
          await mine.update('/k', enc.encode('2'), c.modRevision);
          const rev = await mine.currentRevision();
          await other.compact(rev);
          assert.equal(mine.compactRevision(), 0);
          await assert.rejects(mine.get('/k', c.modRevision), CompactedError);
          assert.equal(mine.compactRevision(), rev);
          const fresh = await EtcdStorage.open({ endpoints: etcd.endpoints });
          assert.equal(fresh.compactRevision(), rev);
          await fresh.close();
        } finally {
          await Promise.all([mine.close(), other.close()]);
        }
      }));

    void it('keeps serving from a three-member cluster with one member killed', () =>
      withEtcd({ members: 3 }, async (etcd) => {
        const s = await EtcdStorage.open({ endpoints: etcd.endpoints });
        try {
          for (let i = 0; i < 10; i++) await s.create(`/k/${i}`, enc.encode(`v${i}`));
          await etcd.kill(0);
          // Calls that meet the dead member are retried on the others; a watch on it ends and is reopened by its owner.
          await eventually('writes after the kill', async () => {
            try {
              await s.create(`/after/${Date.now()}`, enc.encode('v'));
              return true;
            } catch (err) {
              if (err instanceof StorageUnavailableError) return false;
              throw err;
            }
          });
          for (let i = 10; i < 30; i++) await s.create(`/k/${i}`, enc.encode(`v${i}`));
          assert.equal(await s.count('/k/'), 30);
          const events: WatchEvent[] = [];
          let failed: Error | undefined;
          const w = s.watch('/k/', { afterRevision: 0, onEvents: (e) => events.push(...e), onError: (e) => (failed = e) });
          await eventually('replay on the survivors', () => events.length >= 30 || failed !== undefined);
          w.close();
          if (failed) assert.ok(failed instanceof StorageUnavailableError);
          else assert.equal(events.length, 30);
        } finally {
          await s.close();
        }
      }));
  });
}
