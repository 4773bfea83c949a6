import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import type { PodView, Volume } from '../pod-spec.js';
import { FakeObjectSource } from '../testing/fake-object-source.js';
import { writeAtomic } from './atomic-writer.js';
import { containerMounts } from './container-mounts.js';
import { checkHostPathType } from './host-path.js';
import type { Mounter } from './mounter.js';
import { resolveSubPath } from './sub-path.js';
import { VolumeManager } from './volume-manager.js';

const tmp = mkdtempSync(join(tmpdir(), 'tkube-volumes-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => {
  const d = join(tmp, String(n++));
  mkdirSync(d, { recursive: true });
  return d;
};

/** A mounter that records tmpfs mounts instead of making them (no root needed). */
class RecordingMounter implements Mounter {
  readonly mounted = new Map<string, number>();
  mountTmpfs(dir: string, size: number): Promise<void> {
    this.mounted.set(dir, size);
    return Promise.resolve();
  }
  unmount(dir: string): Promise<void> {
    this.mounted.delete(dir);
    return Promise.resolve();
  }
  isMountPoint(dir: string): boolean {
    return this.mounted.has(dir);
  }
  mountsUnder(dir: string): string[] {
    return [...this.mounted.keys()].filter((m) => m === dir || m.startsWith(`${dir}/`));
  }
}

function pod(volumes: Volume[]): PodView {
  return { metadata: { name: 'p', namespace: 'ns1', uid: `uid-${n++}`, labels: { b: '2', a: '1' }, annotations: { x: 'y"z' } }, spec: { serviceAccountName: 'robot', volumes, containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }] } };
}

function setup(refreshMs = 1000): { clock: FakeClock; src: FakeObjectSource; mounter: RecordingMounter; vm: VolumeManager; root: string } {
  const clock = new FakeClock();
  const src = new FakeObjectSource(clock);
  const mounter = new RecordingMounter();
  const root = fresh();
  const vm = new VolumeManager({ rootDir: root, source: src, clock, node: { cpu: 2, memory: 2 ** 30 }, mounter, refreshMs });
  return { clock, src, mounter, vm, root };
}

void describe('atomic writer', () => {
  void it('writes through a ..data symlink, swaps versions and drops removed names', () => {
    const dir = fresh();
    assert.equal(writeAtomic(dir, new Map([['a', { data: Buffer.from('1'), mode: 0o644 }], ['sub/b', { data: Buffer.from('2'), mode: 0o600 }]]), 0), true);
    const first = readlinkSync(join(dir, '..data'));
    assert.match(first, /^\.\.1970_01_01_00_00_00\./);
    assert.equal(readlinkSync(join(dir, 'a')), '..data/a');
    assert.equal(readFileSync(join(dir, 'sub', 'b'), 'utf8'), '2');
    assert.equal(statSync(join(dir, 'sub', 'b')).mode & 0o777, 0o600);
    assert.equal(writeAtomic(dir, new Map([['a', { data: Buffer.from('1'), mode: 0o644 }], ['sub/b', { data: Buffer.from('2'), mode: 0o600 }]]), 1), false, 'unchanged');
    assert.equal(writeAtomic(dir, new Map([['a', { data: Buffer.from('new'), mode: 0o644 }]]), 2), true);
    assert.notEqual(readlinkSync(join(dir, '..data')), first);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'new');
    assert.equal(existsSync(join(dir, 'sub')), false);
    assert.equal(existsSync(join(dir, first)), false, 'old version removed');
    assert.throws(() => writeAtomic(dir, new Map([['../x', { data: Buffer.from(''), mode: 0o644 }]]), 3), /must not contain '..'/);
  });
});

void describe('hostPath type checks', () => {
  void it('creates for *OrCreate and words failures as upstream', () => {
    const d = fresh();
    assert.equal(checkHostPathType(join(d, 'new/dir'), 'DirectoryOrCreate'), undefined);
    assert.ok(statSync(join(d, 'new/dir')).isDirectory());
    assert.equal(checkHostPathType(join(d, 'f/file'), 'FileOrCreate'), undefined);
    assert.ok(statSync(join(d, 'f/file')).isFile());
    assert.equal(checkHostPathType(join(d, 'f/file'), 'Directory'), `hostPath type check failed: ${join(d, 'f/file')} is not a directory`);
    assert.equal(checkHostPathType(join(d, 'f/file'), 'DirectoryOrCreate'), `hostPath type check failed: ${join(d, 'f/file')} is not a directory`);
    assert.equal(checkHostPathType(join(d, 'missing'), 'File'), `hostPath type check failed: ${join(d, 'missing')} is not a file`);
    assert.equal(checkHostPathType(d, 'Socket'), `hostPath type check failed: ${d} is not a socket file`);
    assert.equal(checkHostPathType('/dev/null', 'CharDevice'), undefined);
    assert.equal(checkHostPathType(d, 'CharDevice'), `hostPath type check failed: ${d} is not a character device`);
    assert.equal(checkHostPathType(d, 'BlockDevice'), `hostPath type check failed: ${d} is not a block device`);
    assert.equal(checkHostPathType(join(d, 'anything'), undefined), undefined);
  });
});

void describe('subPath', () => {
  void it('creates missing directories and follows links that stay inside the volume', () => {
    const vol = fresh();
    mkdirSync(join(vol, 'real'));
    symlinkSync('real', join(vol, 'inside'));
    assert.deepEqual(resolveSubPath(vol, 'a/b'), { path: join(vol, 'a/b') });
    assert.ok(statSync(join(vol, 'a/b')).isDirectory());
    assert.deepEqual(resolveSubPath(vol, 'inside/x'), { path: join(vol, 'real/x') });
  });

  void it('refuses links out of the volume, absolute paths and ..', () => {
    const vol = fresh();
    const outside = fresh();
    symlinkSync('/', join(vol, 'root'));
    symlinkSync(outside, join(vol, 'out'));
    symlinkSync('../..', join(vol, 'up'));
    for (const p of ['root', 'root/etc', 'out/x', 'up']) assert.match(resolveSubPath(vol, p).error ?? '', /not within volume path/, p);
    assert.equal(existsSync(join(outside, 'x')), false, 'nothing was created outside');
    assert.equal(resolveSubPath(vol, '/etc').error, 'error SubPath `/etc` must not be an absolute path');
    assert.match(resolveSubPath(vol, 'a/../../b').error ?? '', /must not contain '..'/);
    writeFileSync(join(vol, 'file'), '');
    assert.match(resolveSubPath(vol, 'file/below').error ?? '', /^cannot create subPath .*ENOTDIR/);
  });

  void it('is used by container mounts, with subPathExpr expanded from the env', () => {
    const vol = fresh();
    symlinkSync('/', join(vol, 'escape'));
    const volumes = new Map([['data', { path: vol, readOnly: false }], ['cfg', { path: vol, readOnly: true }]]);
    const ok = containerMounts({ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/d', subPathExpr: 'logs/$(POD)' }, { name: 'cfg', mountPath: '/c' }] }, volumes, [{ key: 'POD', value: 'p1' }]);
    assert.deepEqual(ok.mounts, [
      { containerPath: '/d', hostPath: join(vol, 'logs/p1'), readonly: false, propagation: 'private' },
      { containerPath: '/c', hostPath: vol, readonly: true, propagation: 'private' },
    ]);
    const bad = containerMounts({ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/d', subPath: 'escape' }] }, volumes, []);
    assert.match(bad.error ?? '', /^failed to prepare subPath for volumeMount "data" of container "c": subpath "\/" not within volume path/);
    assert.equal(containerMounts({ name: 'c', volumeMounts: [{ name: 'data', mountPath: '/d', subPathExpr: '$(NOPE)/$(EMPTY)' }] }, volumes, [{ key: 'EMPTY', value: '' }]).error, 'failed to prepare subPath for volumeMount "data" of container "c": missing value for EMPTY, NOPE');
    assert.match(containerMounts({ name: 'c', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, volumes, []).error ?? '', /cannot find volume "nope"/);
  });
});

void describe('volume manager', () => {
  void it('sets up emptyDir (tmpfs for Memory), hostPath and downwardAPI, and tears them down', async () => {
    const { vm, mounter, root } = setup();
    const host = fresh();
    const p = pod([
      { name: 'scratch', emptyDir: {} },
      { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      { name: 'host', hostPath: { path: join(host, 'h'), type: 'DirectoryOrCreate' } },
      { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'annotations', fieldRef: { fieldPath: 'metadata.annotations' } }, { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    ]);
    const uid = p.metadata?.uid ?? '';
    const r = await vm.setUp(p);
    assert.equal(r.error, undefined);
    if (r.error !== undefined) return;
    const dirs = join(root, 'pods', uid, 'volumes');
    assert.equal(r.volumes.get('scratch')?.path, join(dirs, 'kubernetes.io~empty-dir', 'scratch'));
    assert.equal(mounter.mounted.get(join(dirs, 'kubernetes.io~empty-dir', 'mem')), 16 * 2 ** 20);
    assert.deepEqual(r.volumes.get('host'), { path: join(host, 'h'), readOnly: false });
    const info = r.volumes.get('info')?.path ?? '';
    assert.equal(readFileSync(join(info, 'labels'), 'utf8'), 'a="1"\nb="2"');
    assert.equal(readFileSync(join(info, 'annotations'), 'utf8'), 'x="y\\"z"');
    assert.equal(readFileSync(join(info, 'mem'), 'utf8'), '64');
    assert.equal(readFileSync(join(info, 'name'), 'utf8'), 'p');
    assert.equal(r.volumes.get('info')?.readOnly, true);
    await vm.tearDown(uid);
    assert.equal(mounter.mounted.size, 0);
    assert.equal(existsSync(join(root, 'pods', uid)), false);
    assert.ok(existsSync(join(host, 'h')), 'hostPath is left alone');
  });

  void it('projects configMap and secret keys with modes, refreshes on change, and honours optional', async () => {
    const { vm, src, clock, mounter } = setup(1000);
    src.configMaps.set('ns1/cfg', { data: { 'app.conf': 'v1', other: 'o' }, binaryData: { bin: Buffer.from([1, 2]).toString('base64') } });
    src.secrets.set('ns1/sec', { data: { token: Buffer.from('t0p').toString('base64') } });
    const p = pod([
      { name: 'cfg', configMap: { name: 'cfg' } },
      { name: 'picked', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'conf/app.conf', mode: 0o400 }], defaultMode: 0o640 } },
      { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o600 } },
      { name: 'maybe', configMap: { name: 'absent', optional: true } },
    ]);
    const r = await vm.setUp(p);
    assert.ok(r.error === undefined, r.error);
    const cfg = r.volumes.get('cfg')?.path ?? '';
    assert.deepEqual(readdirSync(cfg).filter((e) => !e.startsWith('..')).sort(), ['app.conf', 'bin', 'other']);
    assert.ok(lstatSync(join(cfg, 'app.conf')).isSymbolicLink());
    assert.deepEqual([...readFileSync(join(cfg, 'bin'))], [1, 2]);
    const picked = r.volumes.get('picked')?.path ?? '';
    assert.equal(readFileSync(join(picked, 'conf/app.conf'), 'utf8'), 'v1');
    assert.equal(statSync(join(picked, 'conf/app.conf')).mode & 0o777, 0o400);
    assert.equal(existsSync(join(picked, 'other')), false);
    const sec = r.volumes.get('sec')?.path ?? '';
    assert.equal(readFileSync(join(sec, 'token'), 'utf8'), 't0p');
    assert.equal(statSync(join(sec, 'token')).mode & 0o777, 0o600);
    assert.deepEqual([...mounter.mounted.keys()], [sec], 'the secret (only) is on a tmpfs');
    assert.deepEqual(readdirSync(r.volumes.get('maybe')?.path ?? '').filter((e) => !e.startsWith('..')), []);

    src.configMaps.set('ns1/cfg', { data: { 'app.conf': 'v2' } });
    await vm.setUp(p);
    assert.equal(readFileSync(join(cfg, 'app.conf'), 'utf8'), 'v1', 'not refreshed before the period');
    clock.advance(1000);
    await vm.setUp(p);
    assert.equal(readFileSync(join(cfg, 'app.conf'), 'utf8'), 'v2');
    assert.equal(existsSync(join(cfg, 'other')), false);

    // A refresh that fails keeps the content and warns.
    src.configMaps.delete('ns1/cfg');
    clock.advance(1000);
    const later = await vm.setUp(p);
    assert.ok(later.error === undefined);
    assert.match(later.warnings.join('\n'), /MountVolume.SetUp failed for volume "cfg" : configmap "cfg" not found/);
    assert.equal(readFileSync(join(cfg, 'app.conf'), 'utf8'), 'v2');
    await vm.tearDown(p.metadata?.uid ?? '');
    assert.equal(mounter.mounted.size, 0);
  });

  void it('fails first set-up with upstream messages', async () => {
    const { vm, src } = setup();
    src.configMaps.set('ns1/cfg', { data: { a: '1' } });
    const msg = async (v: Volume): Promise<string | undefined> => (await vm.setUp(pod([v]))).error;
    assert.equal(await msg({ name: 'v', configMap: { name: 'gone' } }), 'MountVolume.SetUp failed for volume "v" : configmap "gone" not found');
    assert.equal(await msg({ name: 'v', secret: { secretName: 'gone' } }), 'MountVolume.SetUp failed for volume "v" : secret "gone" not found');
    assert.equal(await msg({ name: 'v', configMap: { name: 'cfg', items: [{ key: 'b', path: 'b' }] } }), 'MountVolume.SetUp failed for volume "v" : configmap references non-existent config key: b');
    assert.equal(await msg({ name: 'v', configMap: { name: 'cfg', items: [{ key: 'b', path: 'b' }], optional: true } }), undefined);
    assert.equal(await msg({ name: 'v', hostPath: { path: '/nonexistent-tkube', type: 'Directory' } }), 'MountVolume.SetUp failed for volume "v" : hostPath type check failed: /nonexistent-tkube is not a directory');
    assert.equal(await msg({ name: 'v', persistentVolumeClaim: { claimName: 'c' } }), 'MountVolume.SetUp failed for volume "v" : persistentvolumeclaim "c" not found');
  });

  void it('projects a service-account token (refreshed at 80% of its life), the CA and the namespace', async () => {
    const { vm, src, clock } = setup(1000);
    const p = pod([
      {
        name: 'kube-api-access-abcde',
        projected: {
          defaultMode: 0o644,
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'vault-token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
        },
      },
    ]);
    // Until the root-ca-cert-publisher made kube-root-ca.crt, the volume cannot be set up.
    assert.match((await vm.setUp(p)).error ?? '', /configmap "kube-root-ca.crt" not found/);
    src.configMaps.set('ns1/kube-root-ca.crt', { data: { 'ca.crt': 'CA-PEM' } });
    const r = await vm.setUp(p);
    assert.ok(r.error === undefined, r.error);
    const dir = r.volumes.get('kube-api-access-abcde')?.path ?? '';
    assert.equal(readFileSync(join(dir, 'token'), 'utf8'), 'token-1');
    assert.equal(readFileSync(join(dir, 'vault-token'), 'utf8'), 'token-2');
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), 'CA-PEM');
    assert.equal(readFileSync(join(dir, 'namespace'), 'utf8'), 'ns1');
    assert.deepEqual(src.tokenRequests[1], { namespace: 'ns1', serviceAccount: 'robot', spec: { audiences: ['vault'], expirationSeconds: 600, boundPod: { name: 'p', uid: p.metadata?.uid } } });
    clock.advance(479_000);
    await vm.setUp(p);
    assert.equal(src.tokenRequests.length, 2, 'not yet at 80% of 600 s');
    clock.advance(2_000);
    await vm.setUp(p);
    assert.equal(src.tokenRequests.length, 3);
    assert.equal(readFileSync(join(dir, 'vault-token'), 'utf8'), 'token-3');
    assert.equal(readFileSync(join(dir, 'token'), 'utf8'), 'token-1');
    // A changed kube-root-ca.crt reaches the volume.
    src.configMaps.set('ns1/kube-root-ca.crt', { data: { 'ca.crt': 'PUBLISHED' } });
    clock.advance(1000);
    await vm.setUp(p);
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), 'PUBLISHED');
  });

  void it('uses a bound claim\'s hostPath volume, creating its directory', async () => {
    const { vm, src } = setup();
    const base = fresh();
    src.claims.set('ns1/data', { metadata: { name: 'data' }, spec: { volumeName: 'pvc-1' }, status: { phase: 'Bound' } });
    src.claims.set('ns1/pending', { metadata: { name: 'pending' }, spec: {}, status: { phase: 'Pending' } });
    src.volumes.set('pvc-1', { metadata: { name: 'pvc-1' }, spec: { hostPath: { path: join(base, 'pvc-1_ns1_data'), type: 'DirectoryOrCreate' } } });
    const r = await vm.setUp(pod([{ name: 'd', persistentVolumeClaim: { claimName: 'data', readOnly: true } }]));
    assert.ok(r.error === undefined, r.error);
    assert.deepEqual(r.volumes.get('d'), { path: join(base, 'pvc-1_ns1_data'), readOnly: true });
    assert.ok(statSync(join(base, 'pvc-1_ns1_data')).isDirectory());
    assert.match((await vm.setUp(pod([{ name: 'd', persistentVolumeClaim: { claimName: 'pending' } }]))).error ?? '', /PVC ns1\/pending is not bound/);
  });

  void it('keeps memory-backed volumes in the volatile tmpfs (no mount of their own), except those an older kubelet mounted on disk, and removes both', async () => {
    const clock = new FakeClock();
    const src = new FakeObjectSource(clock);
    const mounter = new RecordingMounter();
    const root = fresh();
    const volatile = fresh();
    const vm = new VolumeManager({ rootDir: root, volatileDir: volatile, source: src, clock, node: { cpu: 2, memory: 2 ** 30 }, mounter });
    const p = pod([
      { name: 'scratch', emptyDir: {} },
      { name: 'info', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
      { name: 'old', downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
    ]);
    const uid = p.metadata?.uid ?? '';
    // 'old' was set up by a kubelet without a volatile dir, and its tmpfs is still mounted (the container uses it).
    const legacy = join(root, 'pods', uid, 'volumes', 'kubernetes.io~downward-api', 'old');
    mkdirSync(legacy, { recursive: true });
    await mounter.mountTmpfs(legacy, 0);
    const r = await vm.setUp(p);
    assert.equal(r.error, undefined);
    if (r.error !== undefined) return;
    assert.equal(r.volumes.get('scratch')?.path, join(root, 'pods', uid, 'volumes', 'kubernetes.io~empty-dir', 'scratch'));
    assert.equal(r.volumes.get('info')?.path, join(volatile, 'pods', uid, 'volumes', 'kubernetes.io~downward-api', 'info'));
    assert.equal(readFileSync(join(r.volumes.get('info')?.path ?? '', 'name'), 'utf8'), 'p');
    assert.equal(mounter.isMountPoint(r.volumes.get('info')?.path ?? ''), false, 'on the volatile tmpfs: no tmpfs of its own');
    assert.equal(r.volumes.get('old')?.path, legacy);
    assert.equal(vm.volatilePodDir(uid), join(volatile, 'pods', uid));
    // An orphan's files in the volatile dir alone go too.
    mkdirSync(join(volatile, 'pods', 'gone-uid', 'containers'), { recursive: true });
    await vm.tearDownOrphans(new Set([uid]));
    assert.deepEqual(readdirSync(join(volatile, 'pods')), [uid]);
    assert.deepEqual([...mounter.mounted.keys()], [legacy]);
    await vm.tearDown(uid);
    assert.equal(mounter.mounted.size, 0);
    assert.equal(existsSync(join(root, 'pods', uid)), false);
    assert.equal(existsSync(join(volatile, 'pods', uid)), false);
  });

  void it('removes the volumes of pods that are gone', async () => {
    const { vm, root } = setup();
    const keep = pod([{ name: 'a', emptyDir: {} }]);
    const drop = pod([{ name: 'a', emptyDir: {} }]);
    await vm.setUp(keep);
    await vm.setUp(drop);
    mkdirSync(join(root, 'pods', 'ns_name_uid'));
    writeFileSync(join(root, 'pods', 'ns_name_uid', 'log'), '');
    await vm.tearDownOrphans(new Set([keep.metadata?.uid ?? '']));
    assert.deepEqual(readdirSync(join(root, 'pods')).sort(), [keep.metadata?.uid ?? '', 'ns_name_uid'].sort());
  });
});
