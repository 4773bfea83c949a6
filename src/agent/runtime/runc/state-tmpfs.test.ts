/**
 * mountStateTmpfs on this machine (root): a new directory is mounted, a mounted one is left as it is, one holding a
 * node's records stays on disk, and the runtime's own leftovers are removed before the mount hides them. Every mount
 * the test made is unmounted in `after`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { mountStateTmpfs } from './state-tmpfs.js';

const TMPFS_MAGIC = 0x01021994;
const skip = process.getuid?.() !== 0 ? 'needs root (mount)' : false;

void describe('mountStateTmpfs', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-state-tmpfs-'));
  after(() => {
    for (const m of readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '').filter((m) => m.startsWith(`${dir}/`)).sort().reverse()) {
      execFileSync('umount', [m]);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  void it('mounts a new directory once, and a second call finds it mounted', () => {
    const state = join(dir, 'new', 'runc');
    assert.deepEqual(mountStateTmpfs(state), { mounted: true, already: false });
    assert.equal(statfsSync(state).type, TMPFS_MAGIC);
    writeFileSync(join(state, 'kept'), 'x');
    assert.deepEqual(mountStateTmpfs(state), { mounted: true, already: true });
    assert.ok(existsSync(join(state, 'kept')), 'a second call does not mount over the first');
  });

  void it('removes the runtime\'s own leftovers of a node whose pods are gone, then mounts', () => {
    const state = join(dir, 'left', 'runc');
    for (const d of ['sandboxes', 'containers', 'runc', 'bin']) mkdirSync(join(state, d), { recursive: true });
    writeFileSync(join(state, 'bin', 'tkube-shim-0'), 'x');
    assert.deepEqual(mountStateTmpfs(state), { mounted: true, already: false });
    execFileSync('umount', [state]);
    assert.deepEqual(execFileSync('ls', ['-A', state], { encoding: 'utf8' }), '', 'nothing hidden under the mount');
  });

  void it('leaves a directory holding records on disk, and says why', () => {
    const state = join(dir, 'old', 'runc');
    mkdirSync(join(state, 'containers', 'c1'), { recursive: true });
    writeFileSync(join(state, 'containers', 'c1', 'container.json'), '{}');
    const result = mountStateTmpfs(state);
    assert.equal(result.mounted, false);
    assert.match(result.mounted ? '' : result.reason, /holds containers/);
    assert.notEqual(statfsSync(state).type, TMPFS_MAGIC);
    assert.ok(existsSync(join(state, 'containers', 'c1', 'container.json')));
  });
});
