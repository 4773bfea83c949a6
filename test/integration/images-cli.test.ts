/**
 * `tkube images` on a fresh data dir: the built-in busybox and pause images are there offline, an image made
 * into a `docker save` archive imports and lists, removal works, and errors are one plain line.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pack as tarPack } from 'tar-stream';
import { runCommand, tkubeArgv } from '../harness/test-cluster.js';

const tkube = (args: string[]) => runCommand(process.execPath, [...tkubeArgv(), ...args], { timeoutMs: 60_000 });

function packed(entries: [string, Buffer | string][]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve) => pack.on('end', () => resolve(Buffer.concat(chunks))));
  for (const [name, data] of entries) pack.entry({ name }, data);
  pack.finalize();
  return done;
}

void describe('tkube images', { skip: existsSync('/bin/busybox') ? false : '/bin/busybox is missing (busybox-static)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-images-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('lists the built-in images, imports a docker save archive, removes by reference', async () => {
    const listed = await tkube(['images', 'list', '--data-dir', dir]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^IMAGE\s+TAG\s+IMAGE ID\s+SIZE$/m);
    assert.match(listed.stdout, /^docker\.io\/library\/busybox\s+latest\s+[0-9a-f]{13}\s+\d/m);
    assert.match(listed.stdout, /^registry\.k8s\.io\/pause\s+3\.10\s/m);

    const layer = await packed([['hello.txt', 'hello']]);
    const { createHash } = await import('node:crypto');
    const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    const config = JSON.stringify({ config: { Cmd: ['cat', '/hello.txt'] }, rootfs: { type: 'layers', diff_ids: [diffId] } });
    const archive = join(dir, 'hello.tar');
    writeFileSync(archive, await packed([['config.json', config], ['layer/layer.tar', layer], ['manifest.json', JSON.stringify([{ Config: 'config.json', RepoTags: ['hello:v1'], Layers: ['layer/layer.tar'] }])]]));
    const imported = await tkube(['images', 'import', archive, '--data-dir', dir]);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /docker\.io\/library\/hello:v1/);
    assert.match((await tkube(['images', 'ls', '--data-dir', dir])).stdout, /^docker\.io\/library\/hello\s+v1\s/m);
    const removed = await tkube(['images', 'rm', 'hello:v1', '--data-dir', dir]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch((await tkube(['images', 'ls', '--data-dir', dir])).stdout, /hello/);
  });

  void it('answers a missing image or file with one plain line and exit 1', async () => {
    const rm = await tkube(['images', 'rm', 'nope:1', '--data-dir', dir]);
    assert.equal(rm.code, 1);
    assert.equal(rm.stderr.trim(), 'tkube: no such image: nope:1');
    const imp = await tkube(['images', 'import', join(dir, 'missing.tar'), '--data-dir', dir]);
    assert.equal(imp.code, 1);
    assert.match(imp.stderr.trim(), /^tkube: Cannot import .*missing\.tar: ENOENT$/);
  });
});
