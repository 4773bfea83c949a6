/**
 * TestCluster.start undoes a failed start: the caller gets no TestCluster to stop, so a server that exits at start
 * (a bad flag) or never gets ready in time must leave neither its data dir nor its process behind.
 *
 * The data dirs are made under os.tmpdir(), which follows TMPDIR: each case points TMPDIR at an empty dir of its own,
 * so what is left there is this test's doing, whatever other tests create in /tmp at the same time. The server itself
 * keeps the real TMPDIR (tsx keeps its compile cache there).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from './test-cluster.js';

/**
 * inScratchTmpdir runs `body` with TMPDIR set to a fresh dir (`body` gets the real one, for the server's environment),
 * then hands back what is left in it and removes it.
 */
async function inScratchTmpdir(body: (realTmpdir: string) => Promise<void>): Promise<{ left: string[]; scratch: string }> {
  const realTmpdir = tmpdir();
  const scratch = mkdtempSync(join(realTmpdir, 'tkube-harness-test-'));
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = scratch;
  try {
    await body(realTmpdir);
    return { left: readdirSync(scratch), scratch };
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** processesNaming lists the pids whose command line mentions `text` (the server's names its data dir). */
function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

describe('TestCluster: a failed start', () => {
  it('of a server that rejects its flags removes the data dir it made', async () => {
    const { left } = await inScratchTmpdir(async (realTmpdir) => {
      await assert.rejects(TestCluster.start({ args: ['--no-such-flag'], env: { TMPDIR: realTmpdir } }), /server exited/);
    });
    assert.deepEqual(left, []);
  });

  it('of a server not ready in time kills it and removes the data dir it made', async () => {
    const { left, scratch } = await inScratchTmpdir(async (realTmpdir) => {
      await assert.rejects(TestCluster.start({ readyTimeoutMs: 1, env: { TMPDIR: realTmpdir } }), /Condition not met/);
    });
    assert.deepEqual(left, []);
    assert.deepEqual(processesNaming(scratch), []);
  });
});
