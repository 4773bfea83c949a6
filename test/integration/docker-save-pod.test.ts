/**
 * An image from a `docker save` archive runs as a pod: the test builds the archive itself (an image config and
 * one layer holding the host's static busybox, `sh` linked to it, and a file), `tkube images import`s it into the
 * data dir of a running runc node, sees the node report it in node.status.images, runs it with
 * `imagePullPolicy: Never` (nothing may be pulled) and reads its output with `kubectl logs`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pack as tarPack } from 'tar-stream';
import { BUSYBOX_PATH } from '../../src/agent/images/builtin-images.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { cleanupRuncNode } from '../harness/runc-node.js';
import { eventually, runCommand, TestCluster, tkubeArgv } from '../harness/test-cluster.js';

const skip = containerHostMissing();

/** tarball packs entries (files, directories, symlinks) into a tar archive. */
function tarball(entries: { header: Parameters<ReturnType<typeof tarPack>['entry']>[0]; data?: Buffer | string }[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve) => pack.on('end', () => resolve(Buffer.concat(chunks))));
  for (const e of entries) {
    if (e.data === undefined) pack.entry(e.header);
    else pack.entry(e.header, e.data);
  }
  pack.finalize();
  return done;
}

/** dockerSaveArchive builds what `docker save greeter:v1` writes for a one-layer busybox image. */
async function dockerSaveArchive(): Promise<Buffer> {
  const layer = await tarball([
    { header: { name: 'bin/', type: 'directory', mode: 0o755 } },
    { header: { name: 'bin/busybox', mode: 0o755 }, data: readFileSync(BUSYBOX_PATH) },
    { header: { name: 'bin/sh', type: 'symlink', linkname: 'busybox' } },
    { header: { name: 'etc/', type: 'directory', mode: 0o755 } },
    { header: { name: 'etc/greeting', mode: 0o644 }, data: 'hello from a docker save archive\n' },
  ]);
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: { Env: ['PATH=/bin'], Cmd: ['sh', '-c', 'busybox cat /etc/greeting; echo "argv0=$0"'] },
    rootfs: { type: 'layers', diff_ids: [diffId] },
  });
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const layerDir = diffId.slice('sha256:'.length);
  return tarball([
    { header: { name: configName }, data: config },
    { header: { name: `${layerDir}/`, type: 'directory', mode: 0o755 } },
    { header: { name: `${layerDir}/layer.tar` }, data: layer },
    { header: { name: 'manifest.json' }, data: JSON.stringify([{ Config: configName, RepoTags: ['greeter:v1'], Layers: [`${layerDir}/layer.tar`] }]) },
  ]);
}

void describe('a docker save image as a pod', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-dsave-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node] });
  });
  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=60s']);
    await cleanupRuncNode(c);
  });

  void it('imports the archive into the node and runs it with imagePullPolicy Never', async () => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    const archive = join(c.dataDir, 'greeter.tar');
    writeFileSync(archive, await dockerSaveArchive());
    const imported = await runCommand(process.execPath, [...tkubeArgv(), 'images', 'import', archive, '--data-dir', c.dataDir], { timeoutMs: 60_000 });
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /docker\.io\/library\/greeter:v1/);
    // The node reports the new image with its next status refresh.
    await eventually(async () => (await c.kubectlOk(['get', 'node', node, '-o', 'jsonpath={.status.images[*].names}'])).includes('docker.io/library/greeter:v1'), 30_000, 500);

    await c.kubectlOk(['run', 'greeter', '--image=greeter:v1', '--image-pull-policy=Never', '--restart=Never']);
    await eventually(async () => (await c.kubectlOk(['get', 'pod', 'greeter', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded', 60_000, 250);
    assert.equal(await c.kubectlOk(['logs', 'greeter']), 'hello from a docker save archive\nargv0=sh\n');
  });
});
