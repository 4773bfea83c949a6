/**
 * hack/run-test-files.mjs reports every result of every file, even when the files' processes end at forceExit with
 * their report pipes full (a CI run once reported 8 tests fewer than ran, exit 0). Three files of 300 tests with
 * 4,000-character names fill the pipes; before the blocking-stdout preload 1–4 results of 1,200 went missing per run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const runner = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'hack', 'run-test-files.mjs');
const TESTS_PER_FILE = 300;

function testFile(failLast: boolean): string {
  return [
    "import { test } from 'node:test';",
    "const long = 'x'.repeat(4000);",
    `for (let i = 1; i <= ${TESTS_PER_FILE}; i++) test('t' + i + ' ' + long, () => {`,
    failLast ? `  if (i === ${TESTS_PER_FILE}) throw new Error('the last test failed');` : '',
    '});',
  ].join('\n');
}

describe('run-test-files.mjs', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tkube-run-test-files-'));
    for (const f of ['a', 'b', 'c']) writeFileSync(join(dir, `${f}.test.mjs`), testFile(false));
    writeFileSync(join(dir, 'z.test.mjs'), testFile(true));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const runFiles = (names: string[]) => {
    // Without the variable that marks this process as a test file's, or the nested runner would report to us.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    return spawnSync(process.execPath, [runner, '--concurrency=2', ...names.map((n) => join(dir, n))], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  };

  it('reports every test of every file', () => {
    const r = runFiles(['a.test.mjs', 'b.test.mjs', 'c.test.mjs']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^ℹ tests ${3 * TESTS_PER_FILE}$`, 'm'));
  });

  it('reports a failure in the last test of a file by name and error, and exits 1', () => {
    const r = runFiles(['a.test.mjs', 'b.test.mjs', 'z.test.mjs']);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^ℹ fail 1$/m);
    assert.match(r.stdout, /the last test failed/);
    assert.match(r.stdout, new RegExp(`✖ t${TESTS_PER_FILE} x`));
  });
});
