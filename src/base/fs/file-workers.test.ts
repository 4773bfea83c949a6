import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileJobError, FileWorkers } from './file-workers.js';

void describe('FileWorkers', () => {
  const root = mkdtempSync(join(tmpdir(), 'tkube-file-workers-'));
  const workers = new FileWorkers({ threads: 2, idleMs: 200 });
  after(async () => {
    await workers.close();
    rmSync(root, { recursive: true, force: true });
  });

  void it('runs a job’s steps in order: directories, writes, a replace through a temp file', async () => {
    const dir = join(root, 'a', 'b');
    await workers.run([
      { op: 'mkdir', path: dir },
      { op: 'write', path: join(dir, 'x'), data: 'one' },
      { op: 'replace', path: join(dir, 'x'), data: 'two' },
    ]);
    assert.equal(readFileSync(join(dir, 'x'), 'utf8'), 'two');
    assert.deepEqual(readdirSync(dir), ['x']);
  });

  void it('rejects at the first failing step with its code, skipping optional failures and the steps after', async () => {
    const dir = join(root, 'c');
    const failed = await workers
      .run([
        { op: 'mkdir', path: join(root, 'c', 'x'), optional: true },
        { op: 'mkdir', path: join(root, 'missing-file-as-parent') },
        { op: 'write', path: join(root, 'nowhere', 'f'), data: '' },
        { op: 'mkdir', path: join(dir, 'after') },
      ])
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    assert.ok(failed instanceof FileJobError);
    assert.equal(failed.code, 'ENOENT');
    assert.equal(existsSync(join(dir, 'after')), false);
    // A failed replace leaves no temp file.
    await assert.rejects(workers.run([{ op: 'replace', path: join(root, 'nowhere', 'r'), data: '' }]), { code: 'ENOENT' });
  });

  void it('runs many jobs at once on its threads and ends them when idle; a job after that starts a new one', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => workers.run([{ op: 'replace', path: join(root, `r${i % 10}`), data: String(i) }])));
    for (let i = 0; i < 10; i++) assert.match(readFileSync(join(root, `r${i}`), 'utf8'), /^\d+$/);
    assert.equal(readdirSync(root).filter((n) => n.endsWith('.tmp')).length, 0);
    assert.ok(workers.threadCount >= 1 && workers.threadCount <= 2);
    // Idle for idleMs: the threads end.
    const deadline = Date.now() + 5_000;
    while (workers.threadCount > 0) {
      assert.ok(Date.now() < deadline, 'the idle threads did not end');
      await new Promise((r) => setTimeout(r, 20));
    }
    await workers.run([{ op: 'write', path: join(root, 'after-idle'), data: 'ok' }]);
    assert.equal(readFileSync(join(root, 'after-idle'), 'utf8'), 'ok');
  });
});
