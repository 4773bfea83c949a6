import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommandError, CommandRunner, useCompiledHelper } from './command-runner.js';

/** until polls `probe` every 10 ms for up to 5 s. */
async function until<T>(probe: () => T | undefined): Promise<T> {
  for (const deadline = Date.now() + 5000; ; ) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const binDir = mkdtempSync(join(tmpdir(), 'tkube-cmd-bin-'));
after(() => rmSync(binDir, { recursive: true, force: true }));

/** isMounted: `dir` is on another device than its parent (a tmpfs mounted on it). */
function isMounted(dir: string): boolean {
  return statSync(dir).dev !== statSync(join(dir, '..')).dev;
}

for (const flavour of ['compiled', 'bash'] as const) {
  void describe(`CommandRunner (${flavour} helper)`, () => {
    const runner = new CommandRunner();
    before(async () => {
      if (flavour === 'compiled') await useCompiledHelper(binDir, runner);
    });
    after(() => runner.close());

    void it('runs commands with arguments as given (spaces, quotes, empty) and stdin, and returns stdout', async () => {
      assert.equal(await runner.run('printf', ['%s|', 'a b', "it's", '', '$HOME', '*']), "a b|it's||$HOME|*|");
      assert.equal(await runner.run('cat', [], { input: 'line 1\nline "2"\n' }), 'line 1\nline "2"\n');
      assert.equal(await runner.run('cat', [], { input: '' }), '');
    });

    void it('passes large inputs and outputs whole, in UTF-8', async () => {
      const big = `${'é'.repeat(100_000)}\n${'x'.repeat(200_000)}`;
      assert.equal(await runner.run('cat', [], { input: big }), big);
      const out = await runner.run('sh', ['-c', 'head -c 300000 /dev/zero | tr "\\0" y; echo err >&2']);
      assert.equal(out.length, 300_000);
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
      await assert.rejects(runner.run('sh', ['-c', 'kill -KILL $$']), (err: unknown) => err instanceof CommandError && err.code === 137);
    });

    void it('ends a command at its timeout with 124, as timeout(1) does', async () => {
      const t0 = Date.now();
      await assert.rejects(runner.run('sleep', ['30'], { timeoutMs: 300 }), (err: unknown) => err instanceof CommandError && err.code === 124);
      assert.ok(Date.now() - t0 < 5000, `ended after ${Date.now() - t0} ms`);
      assert.equal(await runner.run('echo', ['in time'], { timeoutMs: 5000 }), 'in time\n');
    });

    void it('gives commands no descriptor but their stdin, stdout and stderr', { skip: flavour === 'bash' && 'bash passes on what it inherited' }, async () => {
      assert.deepEqual((await runner.run('sh', ['-c', 'ls /proc/$$/fd'])).split('\n').filter(Boolean).sort(), ['0', '1', '2']);
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

    void it('mounts a tmpfs with mount(8)\'s options and unmounts it; a failure is code 32', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tkube-cmd-mount-'));
      const target = join(dir, 'vol');
      mkdirSync(target);
      try {
        await runner.mount('tmpfs', 'tmpfs', target, 'nosuid,nodev,size=1048576,mode=0750');
        assert.ok(isMounted(target));
        assert.equal(statSync(target).mode & 0o777, 0o750);
        const line = readFileSync('/proc/self/mounts', 'utf8').split('\n').find((l) => l.split(' ')[1] === target) ?? '';
        assert.match(line, /\bnosuid\b/);
        assert.match(line, /\bnodev\b/);
        assert.match(line, /size=1024k/);
        await runner.umount(target);
        assert.ok(!isMounted(target));
        await assert.rejects(runner.umount(target), (err: unknown) => err instanceof CommandError && err.code === 32);
        await assert.rejects(runner.mount('tmpfs', 'tmpfs', join(dir, 'missing'), 'nosuid'), (err: unknown) => err instanceof CommandError && err.code === 32 && /missing/.test(err.stderr));
        await runner.mount('tmpfs', 'tmpfs', target, 'size=1m');
        await runner.umount(target, true);
        assert.ok(!isMounted(target));
      } finally {
        if (isMounted(target)) await runner.umount(target, true).catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    void it('starts a new helper after the old one ended', async () => {
      const other = new CommandRunner();
      if (flavour === 'compiled') await useCompiledHelper(binDir, other);
      assert.equal(await other.run('echo', ['one']), 'one\n');
      other.close();
      assert.equal(await other.run('echo', ['two']), 'two\n');
      other.close();
    });
  });
}

void describe('CommandRunner switching to the compiled helper', () => {
  void it('lets the bash helper finish what it runs, and runs what comes next in the compiled one', async () => {
    const runner = new CommandRunner();
    try {
      const slow = runner.run('sh', ['-c', 'sleep 0.3; echo bash $PPID']);
      await useCompiledHelper(binDir, runner);
      const next = runner.run('sh', ['-c', 'echo compiled $PPID']);
      const [a, b] = await Promise.all([slow, next]);
      assert.match(a, /^bash \d+\n$/);
      assert.match(b, /^compiled \d+\n$/);
      assert.notEqual(a.split(' ')[1], b.split(' ')[1]);
    } finally {
      runner.close();
    }
  });
});
