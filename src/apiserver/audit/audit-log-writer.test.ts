import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLogWriter } from './audit-log-writer.js';
import { microTime } from './audit-event.js';

describe('AuditLogWriter', () => {
  it('appends JSON lines to a 0600 file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      const w = new AuditLogWriter({ path: join(dir, 'audit.log') });
      w.write({ a: 1 });
      w.write({ b: 'two' });
      await w.close();
      assert.deepEqual(readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown), [{ a: 1 }, { b: 'two' }]);
      assert.equal(statSync(join(dir, 'audit.log')).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rotates by size, names backups by time and keeps only maxBackups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      let now = Date.parse('2026-01-02T03:04:05.000Z');
      const w = new AuditLogWriter({ path: join(dir, 'audit.log'), maxSizeBytes: 100, maxBackups: 2, now: () => (now += 1000) });
      const event = { pad: 'x'.repeat(60) }; // 71 bytes a line: one line per file
      for (let i = 0; i < 5; i++) {
        w.write({ ...event, i });
        await w.flush();
      }
      await w.close();
      const files = readdirSync(dir).sort();
      assert.equal(files.length, 3);
      assert.ok(files.includes('audit.log'));
      assert.ok(files.every((f) => f === 'audit.log' || /^audit-2026-01-02T03-04-\d\d\.000\.log$/.test(f)), files.join(','));
      assert.equal((JSON.parse(readFileSync(join(dir, 'audit.log'), 'utf8')) as { i: number }).i, 4);
      // The two newest backups hold lines 2 and 3.
      const kept = files.filter((f) => f !== 'audit.log').map((f) => (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { i: number }).i);
      assert.deepEqual(kept, [2, 3]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rotates a burst queued at once the same way, a batch never crossing a rotation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      let now = Date.parse('2026-01-02T03:04:05.000Z');
      const w = new AuditLogWriter({ path: join(dir, 'audit.log'), maxSizeBytes: 160, now: () => (now += 1000) });
      for (let i = 0; i < 5; i++) w.write({ pad: 'x'.repeat(60), i }); // 77 bytes: two lines per file
      await w.flush();
      await w.close();
      const files = readdirSync(dir).sort();
      const perFile = files.map((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i));
      assert.deepEqual(perFile, [[0, 1], [2, 3], [4]], files.join(','));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('queues writes instead of touching the disk on the caller\'s path; close() writes what is queued', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      const path = join(dir, 'audit.log');
      const w = new AuditLogWriter({ path });
      for (let i = 0; i < 100; i++) w.write({ i });
      assert.equal(readFileSync(path, 'utf8'), '', 'written synchronously');
      await w.close();
      assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 100);
      w.write({ late: true }); // ignored after close
      assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops and counts events beyond the queue bound, reporting once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      const errors: unknown[] = [];
      const w = new AuditLogWriter({ path: join(dir, 'audit.log'), maxBufferedBytes: 100, onError: (e) => errors.push(e) });
      for (let i = 0; i < 10; i++) w.write({ pad: 'x'.repeat(30), i }); // 46 bytes: two fit
      assert.equal(w.dropped, 8);
      assert.equal(errors.length, 1);
      await w.close();
      assert.equal(readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('removes backups older than maxAge at rotation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      const now = Date.parse('2026-03-01T00:00:00.000Z');
      writeFileSync(join(dir, 'audit-2026-01-01T00-00-00.000.log'), 'old\n');
      writeFileSync(join(dir, 'audit-2026-02-28T00-00-00.000.log'), 'recent\n');
      const w = new AuditLogWriter({ path: join(dir, 'audit.log'), maxSizeBytes: 10, maxAgeMs: 30 * 86_400_000, now: () => now });
      w.write({ first: 1 });
      w.write({ second: 2 });
      await w.close();
      assert.equal(existsSync(join(dir, 'audit-2026-01-01T00-00-00.000.log')), false);
      assert.equal(existsSync(join(dir, 'audit-2026-02-28T00-00-00.000.log')), true);
      assert.equal(existsSync(join(dir, 'audit-2026-03-01T00-00-00.000.log')), true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('formats micro times as upstream', () => {
    assert.equal(microTime(Date.parse('2026-01-02T03:04:05.678Z') + 0.123), '2026-01-02T03:04:05.678123Z');
  });
});
