import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { lastLines, LogFollower, presentLogs } from './component-logs.js';

const dir = mkdtempSync(join(tmpdir(), 'tkube-logs-'));
after(() => rmSync(dir, { recursive: true, force: true }));

void describe('component logs', () => {
  void it('lastLines keeps the last n lines (all for -1), ending in a newline', () => {
    assert.equal(lastLines('a\nb\nc\n', 2), 'b\nc\n');
    assert.equal(lastLines('a\nb\nc', 1), 'c\n');
    assert.equal(lastLines('a\nb\n', -1), 'a\nb\n');
    assert.equal(lastLines('a\nb\n', 0), '');
    assert.equal(lastLines('', 5), '');
  });

  void it('LogFollower hands out whole appended lines, and starts over when the file shrinks', () => {
    const path = join(dir, 'server.log');
    const f = new LogFollower(path);
    assert.equal(f.poll(), '', 'a missing file reads as nothing');
    writeFileSync(path, 'one\ntwo');
    assert.equal(f.poll(), 'one\n');
    assert.equal(f.poll(), '');
    appendFileSync(path, ' and more\nthree\n');
    assert.equal(f.poll(), 'two and more\nthree\n');
    writeFileSync(path, 'new\n');
    assert.equal(f.poll(), 'new\n');
  });

  void it('presentLogs lists the components whose log exists', () => {
    assert.deepEqual(presentLogs(join(dir, 'nothing'), ['server', 'agent']), []);
  });
});
