/**
 * Mount-point layers: a shared, read-only overlay layer that holds the mount points a container needs and its image
 * lacks, so that runc does not create them in the container's writable layer.
 *
 * Every pod container bind-mounts /etc/hosts, /etc/hostname, /etc/resolv.conf and (with a service account token)
 * /var/run/secrets/kubernetes.io/serviceaccount. Most images have none of these, and runc makes each missing
 * target (and its missing parents) in the root before mounting over it. On the overlay root those land in the
 * container's upper dir on disk: nine new inodes a pod for busybox, and a copy-up of /etc, against the dozen-odd the
 * rest of a start writes. Inode creation is the costliest file work of a burst on these machines: their root
 * filesystem has no journal, so ext4 passes over every inode deleted in the last few minutes before it reuses one
 * (docs/benchmarks.md, issue 6 session 15). With the targets in a lower layer made once and shared by every
 * container with the same targets, runc finds them all present and writes nothing.
 *
 * Contract of MountPointLayers.layerFor:
 *  - It returns the directory to put on top of the image's layers (first in `lowerdir`), or undefined when the
 *    image already has every target it can vouch for. The merged root then differs from the image's only by
 *    entries the image does not have, which runc would otherwise have created the same way (directories 0755,
 *    empty files) — except that they are not in the writable layer.
 *  - A directory the layer holds because a target is below it, and that the image has too, gets the image's mode,
 *    owner and group (the top layer decides a merged directory's attributes, so /tmp stays 1777).
 *  - Targets it cannot vouch for are left to runc, as before: a path through a symbolic link in the image (as
 *    /var/run → /run often is), a non-directory where a directory is needed, a target of the other kind than the
 *    mount needs, a target under another mount of the same container (made in that mount, not in the root), a bind
 *    mount whose source does not exist, and a destination that is not absolute.
 *  - A whiteout in the image counts as absent. An opaque directory is not read (Node cannot read xattrs), so a
 *    target that only a layer below an opaque directory has counts as present and is left to runc: never wrong,
 *    only not faster.
 *  - Layers are named by their content (the entries with their attributes), made in a temporary directory and
 *    renamed into place, and never changed afterwards: concurrent creates with the same targets share one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';

/** A mount of a container as config.json has it (only what the layer needs). */
export interface SpecMount {
  readonly destination: string;
  readonly type: string;
  readonly source: string;
}

/** One entry of a layer: a directory (with the attributes it must have) or an empty file. */
interface LayerEntry {
  readonly path: string;
  readonly kind: 'dir' | 'file';
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

/** What the image has at a path: a directory (and its attributes), something else, nothing, or a path we leave alone. */
type Found = { readonly kind: 'dir'; readonly mode: number; readonly uid: number; readonly gid: number } | { readonly kind: 'file' } | { readonly kind: 'missing' } | { readonly kind: 'unsafe' };

const NEW_DIR = { mode: 0o755, uid: 0, gid: 0 } as const;
const NEW_FILE_MODE = 0o644;
/** Lookups remembered per image (its top layer), so a burst of one image stats each path once. */
const MAX_CACHED_IMAGES = 64;

/** MountPointLayers makes and finds mount-point layers under `dir`; see the file comment. */
export class MountPointLayers {
  readonly #dir: string;
  readonly #found = new Map<string, Map<string, Found>>();
  readonly #making = new Map<string, Promise<string>>();
  /** The last removeUnused: layers are looked for only after it, so it never removes one just handed out. */
  #removing: Promise<void> = Promise.resolve();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** layerFor returns the layer for a container of the image (layers bottom first) with these mounts; see the file comment. */
  async layerFor(imageLayerDirs: readonly string[], mounts: readonly SpecMount[]): Promise<string | undefined> {
    const entries = this.#entries(imageLayerDirs, mounts);
    if (entries.length === 0) return undefined;
    await this.#removing;
    const name = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 32);
    const path = join(this.#dir, name);
    let made = this.#making.get(name);
    if (!made) {
      made = this.#make(path, entries);
      this.#making.set(name, made);
      // Once made it is on disk for good; a failure is retried by the next create.
      made.catch(() => this.#making.delete(name));
    }
    return made;
  }

  /**
   * removeUnused deletes the layers no container uses (`used`: layer directories still named by a container). Call
   * it when no create is under way (the runtime does, when constructed); layerFor waits for it.
   */
  removeUnused(used: ReadonlySet<string>): Promise<void> {
    this.#removing = this.#removeUnused(used).catch(() => undefined);
    return this.#removing;
  }

  async #removeUnused(used: ReadonlySet<string>): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(this.#dir, name);
      if (used.has(path)) continue;
      this.#making.delete(name);
      await rm(path, { recursive: true, force: true });
    }
  }

  /** #entries is what the layer must hold for these mounts on this image, sorted by path (parents first). */
  #entries(layers: readonly string[], mounts: readonly SpecMount[]): LayerEntry[] {
    const destinations = mounts.map((m) => posix.normalize(m.destination));
    const entries = new Map<string, LayerEntry>();
    for (const [i, m] of mounts.entries()) {
      const dest = destinations[i] ?? '';
      if (!dest.startsWith('/') || dest === '/' || dest.split('/').includes('..')) continue;
      if (destinations.some((other) => other !== dest && (other === '/' || dest.startsWith(`${other}/`)))) continue;
      const kind = mountPointKind(m);
      if (kind === undefined) continue;
      const wanted = this.#wanted(layers, dest, kind);
      if (wanted) for (const e of wanted) entries.set(e.path, e);
    }
    if (entries.size === 0) return [];
    // The top layer decides the attributes of the merged root too: the image's top layer's.
    const root = this.#lookup(layers, '/');
    entries.set('/', root.kind === 'dir' ? { path: '/', kind: 'dir', mode: root.mode, uid: root.uid, gid: root.gid } : { path: '/', kind: 'dir', ...NEW_DIR });
    return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** #wanted is the entries one target needs (none when the image has it), or undefined when it is left to runc. */
  #wanted(layers: readonly string[], dest: string, kind: 'dir' | 'file'): LayerEntry[] | undefined {
    const parts = dest.split('/').filter((p) => p !== '');
    const out: LayerEntry[] = [];
    // The image's directories on the way down, while it has them.
    let depth = 0;
    for (; depth < parts.length; depth++) {
      const path = `/${parts.slice(0, depth + 1).join('/')}`;
      const found = this.#lookup(layers, path);
      if (found.kind === 'missing') break;
      if (found.kind === 'unsafe') return undefined;
      if (depth === parts.length - 1) return found.kind === kind ? [] : undefined;
      if (found.kind !== 'dir') return undefined;
      out.push({ path, kind: 'dir', mode: found.mode, uid: found.uid, gid: found.gid });
    }
    // What it lacks from there: directories as runc makes them, and the target.
    for (; depth < parts.length; depth++) {
      const path = `/${parts.slice(0, depth + 1).join('/')}`;
      out.push(depth === parts.length - 1 && kind === 'file' ? { path, kind: 'file', mode: NEW_FILE_MODE, uid: 0, gid: 0 } : { path, kind: 'dir', ...NEW_DIR });
    }
    return out;
  }

  /** #lookup says what the image's merged layers have at `path` (remembered per image). */
  #lookup(layers: readonly string[], path: string): Found {
    const key = layers.at(-1) ?? '';
    let cache = this.#found.get(key);
    if (!cache) {
      if (this.#found.size >= MAX_CACHED_IMAGES) this.#found.clear();
      cache = new Map();
      this.#found.set(key, cache);
    }
    const known = cache.get(path);
    if (known) return known;
    let found: Found = { kind: 'missing' };
    for (let i = layers.length - 1; i >= 0; i--) {
      let st;
      try {
        st = lstatSync(join(layers[i] ?? '', path));
      } catch {
        continue;
      }
      if (st.isCharacterDevice() && st.rdev === 0) found = { kind: 'missing' };
      else if (st.isSymbolicLink()) found = { kind: 'unsafe' };
      else if (st.isDirectory()) found = { kind: 'dir', mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
      else found = { kind: 'file' };
      break;
    }
    cache.set(path, found);
    return found;
  }

  async #make(path: string, entries: readonly LayerEntry[]): Promise<string> {
    if (existsSync(path)) return path;
    await mkdir(this.#dir, { recursive: true });
    const temp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await mkdir(temp, { mode: 0o755 });
      for (const e of entries) {
        const at = join(temp, e.path);
        if (e.path === '/') {
          // the layer's own directory, made above
        } else if (e.kind === 'dir') await mkdir(at, { mode: e.mode });
        else await writeFile(at, '', { mode: e.mode });
        await chmod(at, e.mode);
        await chown(at, e.uid, e.gid);
      }
      await rename(temp, path).catch(async (err: NodeJS.ErrnoException) => {
        // Another process (a second node over the same disk root) made it first: same name, same content.
        if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
    return path;
  }
}

/** mountPointKind is what runc makes as the target of a mount: a directory, or a file for a bind of a non-directory. */
function mountPointKind(m: SpecMount): 'dir' | 'file' | undefined {
  if (m.type !== 'bind') return 'dir';
  try {
    return statSync(m.source).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}
