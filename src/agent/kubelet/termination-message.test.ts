import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { prepareTerminationMessageFile, terminationMessage } from './termination-message.js';

void describe('terminationMessage', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-termmsg-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const log = join(dir, 'app.log');
  writeFileSync(log, ['2026-01-01T00:00:00.000000000Z stdout F first', '2026-01-01T00:00:00.100000000Z stderr P par', '2026-01-01T00:00:00.200000000Z stderr F tial', ''].join('\n'));

  void it('reads what the container wrote, at most 4096 bytes', () => {
    const file = prepareTerminationMessageFile(dir, 'app', 0);
    assert.equal(file, join(dir, 'app', '0.termination-log'));
    assert.equal(terminationMessage(file, undefined, 1, log), '');
    writeFileSync(file, 'x'.repeat(5000));
    assert.equal(terminationMessage(file, 'FallbackToLogsOnError', 1, log).length, 4096);
  });

  void it('falls back to the log tail only on a failed exit with FallbackToLogsOnError', () => {
    const file = prepareTerminationMessageFile(dir, 'app', 1);
    assert.equal(terminationMessage(file, 'FallbackToLogsOnError', 2, log), 'first\npartial\n');
    assert.equal(terminationMessage(file, 'FallbackToLogsOnError', 0, log), '');
    assert.equal(terminationMessage(file, 'File', 2, log), '');
    assert.equal(terminationMessage(undefined, 'FallbackToLogsOnError', 2, join(dir, 'missing.log')), '');
  });
});
