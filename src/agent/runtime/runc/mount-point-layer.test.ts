/**
 * MountPointLayers against image layers made in a temp dir: what a layer holds for the usual pod mounts, the image's
 * directory attributes kept, the targets left to runc (symlinks, under another mount, a missing bind source, a
 * kind mismatch), whiteouts, sharing by content, and removal of unused layers.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MountPointLayers, type SpecMount } from './mount-point-layer.js';

/** Every file and directory below `dir`, as `/path` (directories with a trailing slash). */
function tree(dir: string, at = ''): string[] {
  return readdirSync(join(dir, at), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? [`${at}/${e.name}/`, ...tree(dir, `${at}/${e.name}`)] : [`${at}/${e.name}`]))
    .sort();
}

void describe('MountPointLayers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-mountpoints-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sources = join(dir, 'sources');
  mkdirSync(join(sources, 'token'), { recursive: true });
  for (const f of ['hosts', 'hostname', 'resolv.conf', 'termination-log']) writeFileSync(join(sources, f), '');
  const podMounts: SpecMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts' },
    { destination: '/sys', type: 'sysfs', source: 'sysfs' },
    { destination: '/etc/hosts', type: 'bind', source: join(sources, 'hosts') },
    { destination: '/etc/hostname', type: 'bind', source: join(sources, 'hostname') },
    { destination: '/etc/resolv.conf', type: 'bind', source: join(sources, 'resolv.conf') },
    { destination: '/dev/termination-log', type: 'bind', source: join(sources, 'termination-log') },
    { destination: '/var/run/secrets/kubernetes.io/serviceaccount', type: 'bind', source: join(sources, 'token') },
  ];
  /** An image layer with busybox's shape: /etc, /proc, /dev, /sys, /tmp (1777) and /var, no /var/run. */
  const layer = (name: string): string => {
    const l = join(dir, 'layers', name);
    for (const d of ['etc', 'proc', 'dev', 'sys', 'tmp', 'var', 'bin']) mkdirSync(join(l, d), { recursive: true });
    chmodSync(join(l, 'tmp'), 0o1777);
    chmodSync(join(l, 'etc'), 0o750);
    writeFileSync(join(l, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    return l;
  };

  void it('holds the mount points the image lacks, with the image\'s attributes on the directories it has', async () => {
    const layers = new MountPointLayers(join(dir, 'mp1'));
    const image = [layer('busybox')];
    const made = await layers.layerFor(image, podMounts);
    assert.ok(made !== undefined);
    assert.deepEqual(tree(made), [
      '/etc/', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf',
      '/var/', '/var/run/', '/var/run/secrets/', '/var/run/secrets/kubernetes.io/', '/var/run/secrets/kubernetes.io/serviceaccount/',
    ]);
    assert.equal(statSync(join(made, 'etc')).mode & 0o7777, 0o750, 'the image\'s mode of /etc');
    assert.equal(statSync(join(made, 'var', 'run')).mode & 0o7777, 0o755);
    assert.ok(statSync(join(made, 'etc', 'hosts')).isFile());
    // Same targets on the same image: the same layer, made once, also when asked for at once.
    const again = await Promise.all([layers.layerFor(image, podMounts), layers.layerFor(image, [...podMounts].reverse())]);
    assert.deepEqual(again, [made, made]);
    assert.equal(readdirSync(join(dir, 'mp1')).length, 1);
  });

  void it('leaves to runc what it cannot vouch for, and needs no layer when the image has everything', async () => {
    const layers = new MountPointLayers(join(dir, 'mp2'));
    const base = layer('debian');
    // /var/run is a link to /run, as in most distributions' images; /etc/hosts is there already.
    symlinkSync('/run', join(base, 'var', 'run'));
    writeFileSync(join(base, 'etc', 'hosts'), '');
    mkdirSync(join(base, 'data'));
    const made = await layers.layerFor([base], [
      ...podMounts,
      { destination: '/data', type: 'bind', source: join(sources, 'hosts') }, // a file onto a directory
      { destination: '/missing-source', type: 'bind', source: join(dir, 'nowhere') },
      { destination: '/etc/../x', type: 'bind', source: join(sources, 'token') },
      { destination: '/etc/passwd/x', type: 'bind', source: join(sources, 'token') }, // under a file
    ]);
    assert.ok(made !== undefined);
    assert.deepEqual(tree(made), ['/etc/', '/etc/hostname', '/etc/resolv.conf', '/x/']);
    // Everything present (or left to runc): no layer at all.
    writeFileSync(join(base, 'etc', 'hostname'), '');
    writeFileSync(join(base, 'etc', 'resolv.conf'), '');
    assert.equal(await new MountPointLayers(join(dir, 'mp2b')).layerFor([base], podMounts), undefined);
  });

  void it('reads the layers top first: a whiteout hides a lower layer\'s entry', { skip: process.getuid?.() === 0 ? false : 'mknod needs root' }, async () => {
    const lower = layer('lower');
    writeFileSync(join(lower, 'etc', 'hosts'), '');
    writeFileSync(join(lower, 'etc', 'hostname'), '');
    const upper = join(dir, 'layers', 'upper');
    mkdirSync(join(upper, 'etc'), { recursive: true });
    execFileSync('mknod', [join(upper, 'etc', 'hosts'), 'c', '0', '0']);
    const made = await new MountPointLayers(join(dir, 'mp3')).layerFor([lower, upper], podMounts.filter((m) => m.destination.startsWith('/etc/')));
    assert.ok(made !== undefined);
    assert.deepEqual(tree(made), ['/etc/', '/etc/hosts', '/etc/resolv.conf']);
    // The top layer's /etc decides the merged directory's attributes.
    assert.equal(lstatSync(join(made, 'etc')).mode & 0o7777, lstatSync(join(upper, 'etc')).mode & 0o7777);
  });

  void it('removes the layers no container uses', async () => {
    const root = join(dir, 'mp4');
    const layers = new MountPointLayers(root);
    const used = await layers.layerFor([layer('a')], podMounts);
    assert.ok(used !== undefined);
    mkdirSync(join(root, 'f'.repeat(32), 'etc'), { recursive: true });
    await layers.removeUnused(new Set([used]));
    assert.deepEqual(readdirSync(root), [used.slice(root.length + 1)]);
    await layers.removeUnused(new Set());
    assert.equal(existsSync(used), false);
    // A layer asked for after the removal is made again.
    assert.equal(await layers.layerFor([layer('a')], podMounts), used);
    assert.ok(existsSync(join(used, 'etc', 'hosts')));
  });
});
