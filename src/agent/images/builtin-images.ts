/**
 * Built-in images, made offline at start from Debian's busybox-static (`/bin/busybox`), under the names stock
 * manifests use, so `kubectl run --image=busybox` works on a machine with no registry:
 *   - busybox: `docker.io/library/busybox` tagged latest, 1.36 and 1.35 — /bin/busybox, a symlink per applet
 *     (`busybox --list-full`), /etc/passwd and /etc/group (root, nobody), /tmp (1777), /root, /home, /var, `CMD sh`;
 *   - pause: `registry.k8s.io/pause:3.10` (and 3.9), pinned — the same layer with `ENTRYPOINT /bin/sleep infinity`.
 * The layer is built deterministically (sorted entries, mtime 0, root-owned), so the image ID is the same on every
 * start and every machine with the same busybox binary; a start with the images present changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { pack as tarPack } from 'tar-stream';
import type { Image } from '../cri/image-service.js';
import type { OciImageStore } from './oci-image-store.js';

/** BUSYBOX_PATH is where Debian's busybox-static installs its binary. */
export const BUSYBOX_PATH = '/bin/busybox';
/** The references the built-in images answer to. */
export const BUSYBOX_REFS = ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1.36', 'docker.io/library/busybox:1.35'];
export const PAUSE_REFS = ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.9'];

export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** LayerEntry: one entry of a layer tar built by buildTar. */
export interface LayerEntry {
  readonly name: string;
  readonly type: 'directory' | 'file' | 'symlink';
  readonly mode: number;
  readonly data?: Buffer;
  readonly linkname?: string;
}

/** buildTar packs entries into a deterministic tar (sorted, mtime 0, uid/gid 0). */
export function buildTar(entries: readonly LayerEntry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const header = { name: e.name, type: e.type, mode: e.mode, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: new Date(0), ...(e.linkname ? { linkname: e.linkname } : {}) };
    if (e.type === 'file') pack.entry(header, e.data ?? Buffer.alloc(0));
    else pack.entry(header);
  }
  pack.finalize();
  return done;
}

/** busyboxLayer builds the busybox root filesystem layer from the host's busybox-static binary. */
export async function busyboxLayer(busybox: string = BUSYBOX_PATH): Promise<Buffer> {
  const binary = readFileSync(busybox);
  const applets = execFileSync(busybox, ['--list-full'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'bin/busybox');
  const dirs = new Set(['bin', 'etc', 'home', 'root', 'tmp', 'var', 'usr', 'usr/bin', 'usr/sbin', 'sbin', 'proc', 'sys', 'dev']);
  for (const a of applets) {
    const parts = a.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries: LayerEntry[] = [
    ...[...dirs].map((d) => ({ name: `${d}/`, type: 'directory' as const, mode: d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755 })),
    { name: 'bin/busybox', type: 'file', mode: 0o755, data: binary },
    ...applets.map((a) => ({ name: a, type: 'symlink' as const, mode: 0o777, linkname: '/bin/busybox' })),
    { name: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n') },
    { name: 'etc/group', type: 'file', mode: 0o644, data: Buffer.from('root:x:0:\nnobody:x:65534:\n') },
  ];
  return buildTar(entries);
}

/** imageConfig is an OCI image config for one uncompressed layer. */
function imageConfig(layer: Buffer, config: Record<string, unknown>): Buffer {
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      config: { Env: [PATH_ENV], ...config },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'tkube: built from the host busybox-static' }],
    }),
  );
}

/**
 * ensureBuiltinImages adds the busybox and pause images when their tags are missing (a host without busybox-static
 * gets none, and says so). Resolves with the images present afterwards.
 */
export async function ensureBuiltinImages(store: OciImageStore, busybox: string = BUSYBOX_PATH): Promise<Image[]> {
  const missing = async (refs: readonly string[]): Promise<boolean> => {
    for (const r of refs) if (!(await store.imageStatus(r))) return true;
    return false;
  };
  if (!(await missing(BUSYBOX_REFS)) && !(await missing(PAUSE_REFS))) {
    const present = (await Promise.all([BUSYBOX_REFS[0] ?? '', PAUSE_REFS[0] ?? ''].map((r) => store.imageStatus(r)))).filter((i): i is Image => i !== undefined);
    return present;
  }
  if (!existsSync(busybox)) throw new Error(`Cannot build the built-in images: ${busybox} is missing (install Debian's busybox-static)`);
  const layer = await busyboxLayer(busybox);
  const out: Image[] = [];
  out.push(store.addImage(imageConfig(layer, { Cmd: ['sh'] }), [layer], BUSYBOX_REFS));
  out.push(store.addImage(imageConfig(layer, { Entrypoint: ['/bin/sleep', 'infinity'] }), [layer], PAUSE_REFS, { pinned: true }));
  return out;
}
