import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CommandError, CommandRunner } from './command-runner.js';

const runner = new CommandRunner();

/** until polls `probe` every 10 ms for up to 5 s. */
async function until<T>(probe: () => T | undefined): Promise<T> {
  for (const deadline = Date.now() + 5000; ; ) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
after(() => runner.close());

void describe('CommandRunner', () => {
  void it('runs commands with arguments as given (spaces, quotes, empty) and stdin, and returns stdout', async () => {
    assert.equal(await runner.run('printf', ['%s|', 'a b', "it's", '', '$HOME', '*']), "a b|it's||$HOME|*|");
    assert.equal(await runner.run('cat', [], 'line 1\nline "2"\n'), 'line 1\nline "2"\n');
  });

  void it('runs many at once and answers each its own', async () => {
    const outs = await Promise.all(Array.from({ length: 40 }, (_, i) => runner.run('sh', ['-c', `sleep 0.0${i % 5}; echo ${i}`])));
    assert.deepEqual(
      outs.map((o) => Number(o.trim())),
      Array.from({ length: 40 }, (_, i) => i),
    );
  });

  void it('rejects a failure with its stderr and exit code, as execFile does', async () => {
    await assert.rejects(runner.run('sh', ['-c', 'echo nope >&2; exit 3']), (err: unknown) => err instanceof CommandError && err.code === 3 && err.stderr === 'nope\n' && /Command failed: sh -c/.test(err.message));
    await assert.rejects(runner.run('no-such-command-tkube', []), (err: unknown) => err instanceof CommandError && err.code === 127);
  });

  void it('refuses an argument with a NUL character, and the next command still runs', async () => {
    await assert.rejects(runner.run('printf', ['%s', 'a\0b']), (err: unknown) => err instanceof CommandError && /NUL/.test(err.message));
    assert.equal(await runner.run('printf', ['%s', 'ok']), 'ok');
  });

  void it('runs a program that detaches itself, resolving once its parent exited; the detached child runs on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-detached-'));
    try {
      await runner.startSelfDetaching('sh', ['-c', `(echo "$PPID" > ${dir}/out.tmp; mv ${dir}/out.tmp ${dir}/out) & exit 0`]);
      const text = await until(() => (existsSync(join(dir, 'out')) ? readFileSync(join(dir, 'out'), 'utf8') : undefined));
      assert.match(text.trim(), /^\d+$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('starts a new helper after the old one ended', async () => {
    const other = new CommandRunner();
    assert.equal(await other.run('echo', ['one']), 'one\n');
    other.close();
    assert.equal(await other.run('echo', ['two']), 'two\n');
    other.close();
  });
});
