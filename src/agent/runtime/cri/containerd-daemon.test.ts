/**
 * The parts of the containerd backend that need no daemon: the config and CNI network it writes, endpoint
 * parsing, nanosecond conversion, and the OCI archive handed to `ctr images import`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OciImageStore, readTar } from '../../images/oci-image-store.js';
import { exportOciArchive } from '../../images/oci-archive-export.js';
import { CNI_CONFIG_FILE, cniConfTemplate } from './cni-network-config.js';
import { containerdCniNetwork, containerdPaths, writeContainerdConfig } from './containerd-daemon.js';
import { normalizeEndpoint, socketPathOf } from './cri-client.js';
import { nsToMs } from './cri-runtime-service.js';

void describe('containerd backend without a daemon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkcd-unit-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('writes a config that keeps containerd inside its dir', async () => {
    const paths = await writeContainerdConfig(join(dir, 'cd'), { podSubnet: '10.88.7.0/24', streamPort: 41234, sandboxImage: 'registry.k8s.io/pause:3.10' });
    const config = readFileSync(paths.config, 'utf8');
    for (const line of [
      `root = "${join(dir, 'cd', 'root')}"`,
      `state = "${join(dir, 'cd', 'state')}"`,
      `address = "${join(dir, 'cd', 'containerd.sock')}"`,
      'restrict_oom_score_adj = true',
      'sandbox_image = "registry.k8s.io/pause:3.10"',
      'snapshotter = "overlayfs"',
      'stream_server_port = "41234"',
      `conf_dir = "${join(dir, 'cd', 'cni', 'net.d')}"`,
    ]) {
      assert.ok(config.includes(line), `config has ${line}`);
    }
    assert.ok(!config.includes('conf_template'), 'a fixed subnet needs no template');
    const net = JSON.parse(readFileSync(join(dir, 'cd', 'cni', 'net.d', CNI_CONFIG_FILE), 'utf8')) as { plugins: { type: string; bridge?: string; ipam?: { ranges: { subnet: string }[][]; dataDir: string } }[] };
    assert.deepEqual(net.plugins.map((p) => p.type), ['bridge', 'loopback']);
    assert.equal(net.plugins[0]?.ipam?.ranges[0]?.[0]?.subnet, '10.88.7.0/24');
    assert.ok(net.plugins[0]?.ipam?.dataDir.startsWith(dir));
    assert.match(net.plugins[0]?.bridge ?? '', /^tkcd[0-9a-f]{6}$/);
    assert.equal(paths.bridgeName, containerdPaths(join(dir, 'cd')).bridgeName);
    await assert.rejects(writeContainerdConfig(join(dir, 'x'.repeat(120))), /exceed the 107-byte limit/);
  });

  void it('gives a node containerd its pod network as a conf_template and drops configs of earlier runs', async () => {
    const cd = join(dir, 'node');
    const confDir = join(cd, 'cni', 'net.d');
    mkdirSync(confDir, { recursive: true });
    for (const f of ['10-tkube.conflist', CNI_CONFIG_FILE]) writeFileSync(join(confDir, f), '{}');
    const paths = await writeContainerdConfig(cd, { bridgeName: 'tkube0', streamPort: 41235 });
    assert.ok(readFileSync(paths.config, 'utf8').includes(`conf_template = "${join(cd, 'cni', 'conf-template.json')}"`));
    assert.deepEqual(readdirSync(confDir), [], 'no network config: containerd renders the template when it gets the pod CIDRs');
    assert.equal(readFileSync(paths.cniConfTemplate, 'utf8'), cniConfTemplate(containerdCniNetwork(paths)));
    assert.match(readFileSync(paths.cniConfTemplate, 'utf8'), /"bridge": "tkube0"/);
    // A later process (clean-up, a restarted daemon) finds the bridge without being told.
    assert.equal(containerdPaths(cd).bridgeName, 'tkube0');
    await assert.rejects(writeContainerdConfig(join(dir, 'bad'), { bridgeName: 'a-name-far-too-long' }), /as containerd's pod bridge/);
  });

  void it('parses endpoints and converts nanoseconds', () => {
    assert.equal(normalizeEndpoint('/run/c.sock'), 'unix:///run/c.sock');
    assert.equal(socketPathOf('unix:///run/c.sock'), '/run/c.sock');
    assert.throws(() => normalizeEndpoint('tcp://1.2.3.4:1'), /only unix:\/\/\/path\/to\/socket/);
    assert.equal(nsToMs('1796567350517561682'), 1796567350517);
    assert.equal(nsToMs('0'), 0);
    assert.equal(nsToMs(undefined), 0);
  });

  void it('exports every tag of an image as an OCI archive containerd names verbatim', async () => {
    const store = new OciImageStore({ root: join(dir, 'images') });
    const layer = Buffer.alloc(1024);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] } }));
    const image = store.addImage(config, [layer], ['example.com/app:1', 'example.com/app:latest']);
    const archive = await exportOciArchive(join(dir, 'images'), 'example.com/app:1');
    assert.ok(archive);
    const entries = await readTar(archive);
    const names = entries.map((e) => e.name);
    assert.ok(names.includes('oci-layout') && names.includes('index.json'));
    assert.equal(names.filter((n) => n.startsWith('blobs/sha256/') && n.length > 'blobs/sha256/'.length).length, 3);
    const index = JSON.parse(entries.find((e) => e.name === 'index.json')?.data.toString() ?? '{}') as { manifests: { annotations: Record<string, string> }[] };
    assert.deepEqual(index.manifests.map((m) => m.annotations['io.containerd.image.name']).sort(), ['example.com/app:1', 'example.com/app:latest']);
    assert.ok(await exportOciArchive(join(dir, 'images'), image.id));
    assert.equal(await exportOciArchive(join(dir, 'images'), 'example.com/other:1'), undefined);
  });
});
