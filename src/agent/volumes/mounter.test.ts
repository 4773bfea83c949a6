import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { isMountPoint, mountsUnder } from './mounter.js';

void describe('mount points by stat', () => {
  void it('tells a mount point from a plain directory, and follows no symlink', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-mounter-'));
    try {
      mkdirSync(join(dir, 'a', 'b'), { recursive: true });
      symlinkSync('/proc', join(dir, 'a', 'proc'));
      assert.equal(isMountPoint('/'), true);
      assert.equal(isMountPoint('/proc'), true);
      assert.equal(isMountPoint(join(dir, 'a')), false);
      assert.equal(isMountPoint(join(dir, 'a', 'proc')), false);
      assert.equal(isMountPoint(join(dir, 'missing')), false);
      assert.deepEqual(mountsUnder(dir), []);
      assert.deepEqual(mountsUnder(join(dir, 'missing')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it('finds tmpfs mounts under a directory, deepest first, and the directory itself when it is one', { skip: process.getuid?.() !== 0 ? 'needs root (mounts a tmpfs)' : false }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-mounter-'));
    const shallow = join(dir, 'volumes', 'x');
    const deep = join(dir, 'volumes', 'kubernetes.io~projected', 'token');
    const mounted: string[] = [];
    try {
      for (const d of [shallow, deep]) {
        mkdirSync(d, { recursive: true });
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', d]);
        mounted.push(d);
      }
      mkdirSync(join(deep, 'inside'));
      assert.equal(isMountPoint(deep), true);
      assert.deepEqual(mountsUnder(dir), [deep, shallow]);
      assert.deepEqual(mountsUnder(deep), [deep]);
    } finally {
      for (const m of mounted.reverse()) execFileSync('umount', [m]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
