/**
 * `tkube snapshot save|restore` with SQLite: a cluster's objects (secrets encrypted at rest included) come back
 * identical, same uids and resourceVersions, from a snapshot restored into a fresh data dir. Also the data dir's
 * on-disk format check at start: a newer format is refused, a restored (unrecorded) one migrated.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { readDataDirFormat } from '../../src/boot/migrations/data-dir-format.js';
import { restoreSnapshot, saveSnapshot } from '../../src/boot/snapshot.js';
import { assertRestored, makeObjects, state } from '../harness/snapshot-objects.js';
import { runCommand, TestCluster, tkubeArgv } from '../harness/test-cluster.js';

/** tkube runs the CLI from source and fails the test with its output unless it exits 0. */
async function tkube(args: readonly string[]): Promise<string> {
  const r = await runCommand(process.execPath, [...tkubeArgv(), ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `tkube ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
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
      const running = await runCommand(process.execPath, [...tkubeArgv(), 'snapshot', 'save', file, '--data-dir', c.dataDir]);
      assert.notEqual(running.code, 0);
      assert.match(running.stderr, /^tkube: Cannot snapshot .*stop the server first\n$/);
      await c.kill('SIGTERM');
      // The data dir's on-disk format (docs/datastore.md): the server recorded its version; a data dir from a newer
      // tkube is refused in one line naming both versions, and left as it was.
      assert.equal(readDataDirFormat(c.dataDir).kind, 'versioned');
      const formatFile = join(c.dataDir, 'format.json');
      const ownFormat = readFileSync(formatFile, 'utf8');
      writeFileSync(formatFile, '{"version": 999, "writtenBy": "9.9.9"}\n');
      const newer = await runCommand(process.execPath, [
        ...tkubeArgv(), 'server', '--data-dir', c.dataDir, '--https-listen-port', '0', '--bind-address', '127.0.0.1', '--disable-agent',
        '--write-kubeconfig', join(work, 'never.kubeconfig'),
      ], { timeoutMs: 60_000 });
      assert.notEqual(newer.code, 0);
      assert.match(newer.stderr, /^tkube: the data dir .* has on-disk format version 999 \(written by tkube 9\.9\.9\), but this tkube \(.*\) reads format \d+ at most: run a tkube at least as new as the one that wrote it, or give this one a fresh --data-dir$/m);
      assert.doesNotMatch(newer.stderr, /^\s+at /m);
      assert.equal(readFileSync(formatFile, 'utf8'), '{"version": 999, "writtenBy": "9.9.9"}\n');
      writeFileSync(formatFile, ownFormat);
      // (In-process: the CLI path of save is the refusal above; each CLI run costs a few seconds of startup.)
      assert.equal((await saveSnapshot({ dataDir: c.dataDir }, file)).datastore, 'sqlite');
      const fresh = join(work, 'restored');
      assert.match(await tkube(['snapshot', 'restore', file, '--data-dir', fresh]), /Snapshot restored/);
      // A second restore into the same dir is refused: it is no longer fresh.
      await assert.rejects(restoreSnapshot(file, fresh), /Cannot restore into .*fresh data dir/);
      restored = await TestCluster.start({ dataDir: fresh });
      await assertRestored(restored, before);
      // A restored data dir carries no format record: it was taken for version 1 and migrated, database made private.
      assert.deepEqual(readDataDirFormat(fresh), readDataDirFormat(c.dataDir));
      assert.equal(statSync(join(fresh, 'db', 'state.db')).mode & 0o777, 0o600);
    } finally {
      await restored?.stop();
      await c?.stop();
      await rm(work, { recursive: true, force: true });
    }
  });
});
