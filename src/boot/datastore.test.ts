import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { parseEtcdEndpoints, resolveDatastore } from './datastore.js';

void describe('datastore selection', () => {
  void it('reads etcd client URLs, one or several', () => {
    assert.deepEqual(parseEtcdEndpoints('http://127.0.0.1:2379'), ['http://127.0.0.1:2379']);
    assert.deepEqual(parseEtcdEndpoints('https://a:2379/, https://b:2379,https://[::1]:2379'), ['https://a:2379', 'https://b:2379', 'https://[::1]:2379']);
    assert.equal(parseEtcdEndpoints('mysql://root@tcp(db:3306)/k3s'), undefined);
    assert.equal(parseEtcdEndpoints('https://a:2379/path'), undefined);
    assert.equal(parseEtcdEndpoints(''), undefined);
  });

  void it('defaults to SQLite in the data dir and takes sqlite:// paths', () => {
    assert.deepEqual(resolveDatastore({ dataDir: '/d' }), { kind: 'sqlite', path: '/d/db/state.db' });
    assert.deepEqual(resolveDatastore({ dataDir: '/d', datastoreEndpoint: 'sqlite:///x/y.db' }), { kind: 'sqlite', path: '/x/y.db' });
  });

  void it('refuses other endpoints and unreadable or unpaired TLS files in one clear line', async () => {
    assert.throws(() => resolveDatastore({ dataDir: '/d', datastoreEndpoint: 'postgres://db/k3s' }), /^Error: Cannot use datastore "postgres:\/\/db\/k3s": use sqlite:\/\/\/path\/state.db or etcd's client URLs/);
    assert.throws(
      () => resolveDatastore({ dataDir: '/d', datastoreEndpoint: 'https://a:2379', datastoreTls: { caFile: '/nonexistent/ca.crt' } }),
      /Cannot read --datastore-cafile \/nonexistent\/ca.crt/,
    );
    const dir = await mkdtemp(join(tmpdir(), 'tkube-datastore-'));
    try {
      await writeFile(join(dir, 'client.crt'), 'cert');
      assert.throws(
        () => resolveDatastore({ dataDir: '/d', datastoreEndpoint: 'https://a:2379', datastoreTls: { certFile: join(dir, 'client.crt') } }),
        /--datastore-certfile and --datastore-keyfile go together/,
      );
      await writeFile(join(dir, 'client.key'), 'key');
      const ds = resolveDatastore({ dataDir: '/d', datastoreEndpoint: 'https://a:2379', datastoreTls: { certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key') } });
      assert.deepEqual(ds, { kind: 'etcd', options: { endpoints: ['https://a:2379'], caPem: undefined, certPem: 'cert', keyPem: 'key' } });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
