import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLogWriter } from './audit-log-writer.js';
import { microTime } from './audit-event.js';

describe('AuditLogWriter', () => {
  it('appends JSON lines to a 0600 file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      const w = new AuditLogWriter({ path: join(dir, 'audit.log') });
      w.write({ a: 1 });
      w.write({ b: 'two' });
      w.close();
      assert.deepEqual(readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown), [{ a: 1 }, { b: 'two' }]);
      assert.equal(statSync(join(dir, 'audit.log')).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rotates by size, names backups by time and keeps only maxBackups', () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    try {
      let now = Date.parse('2026-01-02T03:04:05.000Z');
      const w = new AuditLogWriter({ path: join(dir, 'audit.log'), maxSizeBytes: 100, maxBackups: 2, now: () => (now += 1000) });
      const event = { pad: 'x'.repeat(60) }; // 71 bytes a line: one line per file
      for (let i = 0; i < 5; i++) w.write({ ...event, i });
      w.close();
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

  it('formats micro times as upstream', () => {
    assert.equal(microTime(Date.parse('2026-01-02T03:04:05.678Z') + 0.123), '2026-01-02T03:04:05.678123Z');
  });
});
