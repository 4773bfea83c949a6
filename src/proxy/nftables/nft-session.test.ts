/**
 * NftSession against the real nft, in a network namespace of the test's own (root, nft and ip needed).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { NftSession } from './nft-session.js';
import { nftHostMissing } from '../../../test/harness/host-tools.js';

void describe('NftSession with nft', { skip: nftHostMissing() }, () => {
  const netns = `tkube-nfts-${process.pid}`;
  const list = (): string => execFileSync('ip', ['netns', 'exec', netns, 'nft', 'list', 'ruleset']).toString();
  before(() => execFileSync('ip', ['netns', 'add', netns]));
  after(() => execFileSync('ip', ['netns', 'del', netns]));

  void it('applies each script as one transaction, reports nft errors as values, and survives its process dying', async () => {
    const s = new NftSession({ netns });
    try {
      assert.deepEqual(await s.run('add table ip t\nadd set ip t s { type ipv4_addr; }\nadd element ip t s { 10.0.0.1 }\n'), { ok: true });
      const pid = s.pid;
      assert.ok(pid !== undefined);
      assert.match(list(), /elements = \{ 10\.0\.0\.1 \}/);

      // The second line fails, so the first is not applied either (one batch).
      const bad = await s.run('add element ip t s { 10.0.0.2 }\ndelete element ip t s { 10.0.0.9 }\n');
      assert.equal(bad.ok, false);
      assert.match(bad.ok ? '' : bad.message, /No such file or directory/);
      assert.doesNotMatch(list(), /10\.0\.0\.2/);

      // The same process goes on after an error, and its output is not mixed into the next answer.
      assert.deepEqual(await s.run('add element ip t s { 10.0.0.3 }'), { ok: true });
      assert.equal(s.pid, pid);
      assert.match(list(), /10\.0\.0\.3/);
      assert.deepEqual(await s.run(''), { ok: true });

      // A dead process is replaced on the next call.
      process.kill(pid, 'SIGKILL');
      const r = await s.run('delete element ip t s { 10.0.0.1 }');
      const retried = r.ok ? r : await s.run('delete element ip t s { 10.0.0.1 }');
      assert.deepEqual(retried, { ok: true });
      assert.notEqual(s.pid, pid);
      assert.doesNotMatch(list(), /10\.0\.0\.1\b/);
    } finally {
      await s.close();
      assert.equal(s.pid, undefined);
    }
  });

  void it('reports a missing nft binary as a value', async () => {
    const s = new NftSession({ nftPath: '/nonexistent/nft' });
    const r = await s.run('add table ip x');
    assert.equal(r.ok, false);
    await s.close();
  });
});
