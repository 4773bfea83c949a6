import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pack as tarPack } from 'tar-stream';
import { ImagePullError } from '../cri/image-service.js';
import { BUSYBOX_PATH, ensureBuiltinImages } from './builtin-images.js';
import { OciImageStore } from './oci-image-store.js';
import { RegistryClient } from './registry-client.js';

function tarOf(files: Record<string, string | { dir: true } | { link: string }>): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve) => pack.on('end', () => resolve(Buffer.concat(chunks))));
  for (const [name, v] of Object.entries(files)) {
    if (typeof v === 'string') pack.entry({ name, mode: 0o644 }, v);
    else if ('dir' in v) pack.entry({ name, type: 'directory', mode: 0o755 });
    else pack.entry({ name, type: 'symlink', linkname: v.link });
  }
  pack.finalize();
  return done;
}

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

void describe('OciImageStore', { skip: existsSync(BUSYBOX_PATH) ? false : `${BUSYBOX_PATH} is missing (busybox-static)` }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-images-'));
  let store: OciImageStore;
  before(() => {
    store = new OciImageStore({ root: join(dir, 'store') });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('builds busybox and pause offline, deterministically, and unpacks them once', async () => {
    const first = await ensureBuiltinImages(store);
    const again = await ensureBuiltinImages(new OciImageStore({ root: join(dir, 'store') }));
    assert.deepEqual(again.map((i) => i.id).sort(), first.map((i) => i.id).sort());
    const other = await ensureBuiltinImages(new OciImageStore({ root: join(dir, 'other') }));
    assert.deepEqual(other.map((i) => i.id).sort(), first.map((i) => i.id).sort(), 'same bytes, same IDs on another store');
    const busybox = await store.imageStatus('busybox');
    assert.ok(busybox?.repoTags.includes('docker.io/library/busybox:latest'));
    assert.equal((await store.imageStatus('registry.k8s.io/pause:3.10'))?.pinned, true);
    const u = await store.unpacked('busybox:1.36');
    assert.ok(u);
    assert.deepEqual(u.config.cmd, ['sh']);
    assert.equal(u.layerDirs.length, 1);
    const root = u.layerDirs[0] ?? '';
    assert.equal(readlinkSync(join(root, 'bin/sh')), '/bin/busybox');
    assert.equal(statSync(join(root, 'tmp')).mode & 0o7777, 0o1777);
    assert.match(execFileSync(join(root, 'bin/busybox'), ['echo', 'hi'], { encoding: 'utf8' }), /hi/);
    const pause = await store.unpacked('registry.k8s.io/pause:3.9');
    assert.deepEqual(pause?.layerDirs, u.layerDirs, 'pause shares the busybox layer');
    assert.deepEqual(pause?.config.entrypoint, ['/bin/sleep', 'infinity']);
    // Each unpack is a use (image GC's order); the file is written once a minute per image, not per container.
    const usagePath = join(dir, 'store', 'usage.json');
    const written = readFileSync(usagePath, 'utf8');
    const usedAt = store.lastUsed(u.id) ?? 0;
    assert.ok(usedAt > 0);
    for (let i = 0; i < 5; i++) await store.unpacked('busybox:1.36');
    assert.ok((store.lastUsed(u.id) ?? 0) >= usedAt);
    assert.equal(readFileSync(usagePath, 'utf8'), written);
    assert.equal((JSON.parse(written) as Record<string, number>)[u.id], usedAt);
  });

  void it('imports a docker save archive with whiteouts and refuses paths that escape', async () => {
    const base = await tarOf({ 'app/': { dir: true }, 'app/hello.txt': 'hello', 'app/gone.txt': 'old', 'app/link': { link: '../etc/passwd' } });
    const top = await tarOf({ 'app/.wh.gone.txt': '', '../escape.txt': 'no' });
    const config = Buffer.from(JSON.stringify({ config: { Entrypoint: ['/app/run'], Env: ['A=1'], WorkingDir: '/app', User: '1000' }, rootfs: { type: 'layers', diff_ids: [sha(base), sha(top)] } }));
    const archive = await (async () => {
      const pack = tarPack();
      const chunks: Buffer[] = [];
      pack.on('data', (c: unknown) => chunks.push(c as Buffer));
      const done = new Promise<Buffer>((resolve) => pack.on('end', () => resolve(Buffer.concat(chunks))));
      pack.entry({ name: 'cfg.json' }, config);
      pack.entry({ name: 'l1/layer.tar' }, base);
      pack.entry({ name: 'l2/layer.tar' }, top);
      pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'cfg.json', RepoTags: ['example.com/team/app:v1'], Layers: ['l1/layer.tar', 'l2/layer.tar'] }]));
      pack.finalize();
      return done;
    })();
    const file = join(dir, 'app.tar');
    writeFileSync(file, archive);
    const [image] = await store.importArchive(file);
    assert.deepEqual(image?.repoTags, ['example.com/team/app:v1']);
    assert.equal(image?.id, sha(config));
    const u = await store.unpacked('example.com/team/app:v1');
    assert.equal(u?.config.workingDir, '/app');
    assert.equal(u?.config.user, '1000');
    const [lower, upper] = u?.layerDirs ?? [];
    assert.equal(readlinkSync(join(lower ?? '', 'app/link')), '../etc/passwd');
    const whiteout = lstatSync(join(upper ?? '', 'app/gone.txt'));
    assert.ok(whiteout.isCharacterDevice() && whiteout.rdev === 0, 'a whiteout becomes a 0/0 character device');
    assert.equal(existsSync(join(dir, 'escape.txt')), false);
    assert.equal(existsSync(join(upper ?? '', '..', 'escape.txt')), false);
    // Images list once per image with all tags; removal by tag, then by ID.
    assert.ok((await store.listImages()).some((i) => i.id === image?.id));
    await store.removeImage('example.com/team/app:v1');
    assert.equal(await store.imageStatus('example.com/team/app:v1'), undefined);
    await store.removeImage('sha256:0000000000000000'); // unknown: a no-op
  });

  void it('answers an image no registry can serve with ImagePullError', async () => {
    // A registry that refuses connections stands in for an unreachable one (no traffic leaves loopback).
    const offline = new OciImageStore({ root: join(dir, 'store'), registry: new RegistryClient({ registries: { endpointsFor: () => [{ url: 'http://127.0.0.1:1' }] } }) });
    await assert.rejects(offline.pullImage('nginx:1.27'), (err) => err instanceof ImagePullError && err.kind === 'Unreachable' && /cannot reach 127\.0\.0\.1:1: ECONNREFUSED/.test(err.message));
    await assert.rejects(offline.pullImage('Bad Name'), (err) => err instanceof ImagePullError && err.kind === 'Invalid');
    assert.match((await offline.imageStatus('busybox'))?.id ?? '', /^sha256:[a-f0-9]{64}$/);
  });
});
