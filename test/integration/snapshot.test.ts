/**
 * `tkube snapshot save|restore`: a cluster's objects (secrets encrypted at rest included) come back identical, same
 * uids and resourceVersions, from a snapshot restored into a fresh data dir, for SQLite (server stopped) and for etcd
 * (saved online, restored with etcdctl into a new etcd).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { EtcdCluster, etcdMissing } from '../harness/etcd.js';
import { commandExists } from '../harness/host-tools.js';
import { REPO_ROOT, runCommand, TestCluster } from '../harness/test-cluster.js';

/** tkube runs the CLI from source and fails the test with its output unless it exits 0. */
async function tkube(args: readonly string[]): Promise<string> {
  const r = await runCommand(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `tkube ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The state a snapshot must reproduce: every object of the kinds users make, by identity and version. */
async function state(c: TestCluster): Promise<string[]> {
  const out = JSON.parse(await c.kubectlOk(['get', 'configmaps,secrets,namespaces,services', '-A', '-o', 'json'])) as {
    items: { kind: string; metadata: { namespace?: string; name: string; uid: string; resourceVersion: string }; data?: Record<string, string> }[];
  };
  return out.items
    .map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name} ${o.metadata.uid} ${o.metadata.resourceVersion} ${JSON.stringify(o.data ?? {})}`)
    .sort();
}

async function makeObjects(c: TestCluster): Promise<void> {
  const items = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'snap' } },
    ...[0, 1, 2, 3, 4].map((i) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'snap' }, data: { i: String(i) } })),
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: 'snap' }, stringData: { password: 's3cret' } },
  ];
  await c.kubectlOk(['create', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
}

async function assertRestored(c: TestCluster, before: readonly string[]): Promise<void> {
  const after = await state(c);
  for (const line of before) assert.ok(after.includes(line), `missing after restore: ${line}`);
  // The secret was encrypted at rest with the original data dir's key: readable means the key came along.
  assert.equal(Buffer.from(await c.kubectlOk(['-n', 'snap', 'get', 'secret', 'creds', '-o', 'jsonpath={.data.password}']), 'base64').toString(), 's3cret');
}

void describe('tkube snapshot with SQLite', () => {
  void it('refuses while the server runs, then restores every object into a fresh data dir', async () => {
    const work = await mkdtemp(join(tmpdir(), 'tkube-it-snapshot-'));
    let c: TestCluster | undefined;
    let restored: TestCluster | undefined;
    try {
      c = await TestCluster.start();
      await makeObjects(c);
      const before = await state(c);
      const file = join(work, 'cluster.snapshot');
      // While the server runs it holds the database exclusively: refused, in one line.
      const running = await runCommand(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'snapshot', 'save', file, '--data-dir', c.dataDir]);
      assert.notEqual(running.code, 0);
      assert.match(running.stderr, /^tkube: Cannot snapshot .*stop the server first\n$/);
      await c.kill('SIGTERM');
      assert.match(await tkube(['snapshot', 'save', file, '--data-dir', c.dataDir]), /Snapshot saved .* sqlite database/);
      const fresh = join(work, 'restored');
      assert.match(await tkube(['snapshot', 'restore', file, '--data-dir', fresh]), /Snapshot restored/);
      // A second restore into the same dir is refused: it is no longer fresh.
      const again = await runCommand(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'snapshot', 'restore', file, '--data-dir', fresh]);
      assert.notEqual(again.code, 0);
      assert.match(again.stderr, /^tkube: Cannot restore into .*fresh data dir/m);
      restored = await TestCluster.start({ dataDir: fresh });
      await assertRestored(restored, before);
    } finally {
      await restored?.stop();
      await c?.stop();
      await rm(work, { recursive: true, force: true });
    }
  });
});

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
      assert.match(await tkube(['snapshot', 'save', file, '--data-dir', c.dataDir, '--datastore-endpoint', endpoint]), /Snapshot saved .* etcd database/);
      await c.kill('SIGTERM');
      await etcd.stop();
      const fresh = join(work, 'restored');
      assert.match(await tkube(['snapshot', 'restore', file, '--data-dir', fresh]), /etcdctl snapshot restore/);
      etcd2 = await EtcdCluster.start({ restoreFrom: join(fresh, 'db', 'etcd-snapshot.db') });
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
