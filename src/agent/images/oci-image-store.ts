/**
 * OciImageStore: the node's image store on disk (what containerd's content store and snapshotter are to it), as
 * an OCI image layout plus unpacked layers:
 *
 *   <root>/blobs/sha256/<hex>   manifests, configs and layer tars (content-addressed; written temp + rename)
 *   <root>/index.json           the OCI index; each manifest entry's `org.opencontainers.image.ref.name`
 *                               annotation holds one normalised reference (one entry per tag)
 *   <root>/layers/<diff-id hex> a layer unpacked once, shared by every image and container that has it
 *
 * Contracts (ImageStore's, and):
 *  - A layer is unpacked into a temp dir renamed into place when complete, so a crash never leaves a directory
 *    that looks unpacked; `unpacked()` of an unpacked image is a lookup (no hashing).
 *  - Layer whiteouts become overlayfs whiteouts (a 0/0 character device; opaque directories get the
 *    `trusted.overlay.opaque` attribute when `setfattr` exists), since runtimes stack layers with overlayfs.
 *  - Paths in a layer never escape its directory: `..`, absolute paths and links pointing outside are refused.
 *  - `pullImage` always asks the registries (RegistryClient; mirrors and credentials from the node's
 *    registries config): the kubelet calls it only when the pull policy says so. Pulled manifests are stored byte
 *    for byte, so digest references match the registry's.
 *  - Each image's last use (`unpacked()`, i.e. a container created from it) is remembered in `<root>/usage.json`
 *    for image garbage collection; `removeImage` followed by `pruneBlobs` frees the space.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { link, lchown, mkdir, readFile, rename, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { dirname, join, normalize } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import type { AuthConfig, Image, ImageFsInfo } from '../cri/image-service.js';
import { ImagePullError } from '../cri/image-service.js';
import { parseImageReference, tryParseImageReference } from './image-reference.js';
import type { ImageConfig, ImageStore, UnpackedImage } from './image-store.js';
import { RegistryClient, RegistryError, type BlobSink } from './registry-client.js';
import { noRegistriesConfig } from './registries-config.js';

const run = promisify(execFile);

const REF_ANNOTATION = 'org.opencontainers.image.ref.name';
const PINNED_ANNOTATION = 'io.tkube.image.pinned';
const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG_TYPE = 'application/vnd.oci.image.config.v1+json';
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar';
/** How stale usage.json may be about an image's last use (see #touch). */
const USAGE_WRITE_INTERVAL_MS = 60_000;

/** Descriptor is an OCI content descriptor. */
interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

interface OciIndex {
  schemaVersion: 2;
  manifests: Descriptor[];
}

interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

/** RawImageConfig is the OCI image config JSON (the parts read here). */
interface RawImageConfig {
  config?: { Entrypoint?: string[] | null; Cmd?: string[] | null; Env?: string[] | null; WorkingDir?: string; User?: string; StopSignal?: string; ExposedPorts?: Record<string, unknown>; Labels?: Record<string, string> | null };
  rootfs?: { type?: string; diff_ids?: string[] };
}

/** TarEntry is one member of a tar archive read into memory. */
interface TarEntry {
  readonly name: string;
  readonly type: string;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly linkname: string;
  readonly data: Buffer;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** fileSize is a file's size, 0 when it cannot be read. */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function hexOf(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

/** maybeGunzip returns the data gunzipped when it starts with the gzip magic. */
function maybeGunzip(data: Buffer): Buffer {
  return data.length > 2 && data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data;
}

/** readTar reads every member of a tar archive (gzip or not) into memory. */
export async function readTar(data: Buffer): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const ex = tarExtract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        entries.push({
          name: header.name,
          type: header.type ?? 'file',
          mode: header.mode ?? 0o644,
          uid: header.uid ?? 0,
          gid: header.gid ?? 0,
          linkname: header.linkname ?? '',
          data: Buffer.concat(chunks),
        });
        next();
      });
      stream.on('error', reject);
      stream.resume();
    });
    ex.on('finish', () => resolve());
    ex.on('error', reject);
  });
  ex.end(maybeGunzip(data));
  await done;
  return entries;
}

/** safeRelative turns a member name into a relative path inside the layer, or undefined when it would escape. */
function safeRelative(name: string): string | undefined {
  const n = normalize(name.replace(/^\/+/, '').replace(/^\.\//, ''));
  if (n === '.' || n === '' || n.startsWith('..') || n.includes('/../')) return undefined;
  return n.replace(/\/+$/, '');
}

/** OciImageStoreConfig constructs an OciImageStore. */
export interface OciImageStoreConfig {
  /** The store's directory, e.g. `<data-dir>/agent/images`. */
  readonly root: string;
  /** Where pulls go. @default a client with no registries config (registries reached directly) */
  readonly registry?: RegistryClient;
}

/** OciImageStore is the node's local image store; see the file comment. */
export class OciImageStore implements ImageStore, BlobSink {
  readonly #root: string;
  readonly #registry: RegistryClient;
  /** Pulls in progress, by normalised reference, so concurrent pods share one download. */
  readonly #pulling = new Map<string, Promise<string>>();
  /** Last-use times by image ID (#usage), and when each was last written to usage.json. */
  #usageTimes: Record<string, number> | undefined;
  readonly #usageWritten = new Map<string, number>();
  /** Unpacks in progress, by diff ID, so concurrent callers wait for one unpack. */
  readonly #unpacking = new Map<string, Promise<string>>();

  constructor(config: OciImageStoreConfig) {
    this.#root = config.root;
    this.#registry = config.registry ?? new RegistryClient({ registries: noRegistriesConfig });
    mkdirSync(join(this.#root, 'blobs', 'sha256'), { recursive: true });
    mkdirSync(join(this.#root, 'layers'), { recursive: true });
    if (!existsSync(join(this.#root, 'oci-layout'))) writeFileSync(join(this.#root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    if (!existsSync(this.#indexPath)) this.#writeIndex({ schemaVersion: 2, manifests: [] });
  }

  get #indexPath(): string {
    return join(this.#root, 'index.json');
  }

  #readIndex(): OciIndex {
    return JSON.parse(readFileSync(this.#indexPath, 'utf8')) as OciIndex;
  }

  #writeIndex(index: OciIndex): void {
    const tmp = `${this.#indexPath}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(index));
    renameSync(tmp, this.#indexPath);
  }

  #blobPath(digest: string): string {
    return join(this.#root, 'blobs', 'sha256', hexOf(digest));
  }

  #writeBlob(data: Buffer): Descriptor {
    const digest = sha256(data);
    const path = this.#blobPath(digest);
    if (!existsSync(path)) {
      const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, path);
    }
    return { mediaType: '', digest, size: data.length };
  }

  #readJson<T>(digest: string): T {
    return JSON.parse(readFileSync(this.#blobPath(digest), 'utf8')) as T;
  }

  /**
   * addImage stores an image from its config JSON and its layer tars (uncompressed or gzip), tagged with `refs`;
   * an existing tag moves to the new image. Resolves with the image.
   */
  addImage(config: Buffer, layers: readonly Buffer[], refs: readonly string[], options: { pinned?: boolean } = {}): Image {
    const configDesc = { ...this.#writeBlob(config), mediaType: CONFIG_TYPE };
    const layerDescs = layers.map((l) => ({ ...this.#writeBlob(l), mediaType: l[0] === 0x1f && l[1] === 0x8b ? `${LAYER_TYPE}+gzip` : LAYER_TYPE }));
    const manifest: OciManifest = { schemaVersion: 2, mediaType: MANIFEST_TYPE, config: configDesc, layers: layerDescs };
    const manifestDesc = { ...this.#writeBlob(Buffer.from(JSON.stringify(manifest))), mediaType: MANIFEST_TYPE };
    const names = refs.map((r) => parseImageReference(r).name);
    const index = this.#readIndex();
    index.manifests = index.manifests.filter((m) => !names.includes(m.annotations?.[REF_ANNOTATION] ?? ''));
    for (const name of names) {
      index.manifests.push({ ...manifestDesc, annotations: { [REF_ANNOTATION]: name, ...(options.pinned ? { [PINNED_ANNOTATION]: 'true' } : {}) } });
    }
    this.#writeIndex(index);
    const image = this.#imageOf(configDesc.digest, index);
    if (!image) throw new Error('Cannot add image: it vanished from the index');
    return image;
  }

  /** #imageOf builds the Image (all its tags) whose config digest is `id`. */
  #imageOf(id: string, index: OciIndex = this.#readIndex()): Image | undefined {
    const entries = index.manifests.filter((m) => {
      try {
        return this.#readJson<OciManifest>(m.digest).config.digest === id;
      } catch {
        return false;
      }
    });
    if (entries.length === 0) return undefined;
    const manifest = this.#readJson<OciManifest>(entries[0]!.digest);
    const size = manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
    const tags = entries.map((m) => m.annotations?.[REF_ANNOTATION] ?? '').filter((t) => t !== '');
    const repoDigests = [...new Set(entries.map((m) => `${(m.annotations?.[REF_ANNOTATION] ?? '').replace(/[:@][^/]*$/, '')}@${m.digest}`))];
    return { id, repoTags: tags, repoDigests, size, pinned: entries.some((m) => m.annotations?.[PINNED_ANNOTATION] === 'true') };
  }

  /** #resolve finds the manifest entry a reference names: a tag, a digest reference, or an image ID (prefix). */
  #resolve(ref: string): { manifest: OciManifest; entry: Descriptor } | undefined {
    const index = this.#readIndex();
    const parsed = tryParseImageReference(ref);
    let entry: Descriptor | undefined;
    if (parsed?.digest) entry = index.manifests.find((m) => m.digest === parsed.digest);
    else if (parsed) entry = index.manifests.find((m) => m.annotations?.[REF_ANNOTATION] === parsed.name);
    if (!entry && /^(sha256:)?[a-f0-9]{12,64}$/.test(ref)) {
      const want = ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
      entry = index.manifests.find((m) => this.#readJson<OciManifest>(m.digest).config.digest.startsWith(want));
    }
    if (!entry) return undefined;
    return { manifest: this.#readJson<OciManifest>(entry.digest), entry };
  }

  async listImages(): Promise<Image[]> {
    const index = this.#readIndex();
    const ids = [...new Set(index.manifests.map((m) => this.#readJson<OciManifest>(m.digest).config.digest))];
    return ids.map((id) => this.#imageOf(id, index)).filter((i): i is Image => i !== undefined);
  }

  async imageStatus(ref: string): Promise<Image | undefined> {
    const found = this.#resolve(ref);
    return found ? this.#imageOf(found.manifest.config.digest) : undefined;
  }

  async pullImage(ref: string, auth?: AuthConfig): Promise<string> {
    const parsed = tryParseImageReference(ref);
    if (!parsed) throw new ImagePullError(ref, 'invalid reference format', 'Invalid');
    const running = this.#pulling.get(parsed.name);
    if (running) return running;
    const work = (async () => {
      try {
        const pulled = await this.#registry.pull(parsed, this, auth);
        return this.#addPulled(pulled.manifest, pulled.manifestDigest, pulled.config, parsed.name);
      } catch (err) {
        if (err instanceof RegistryError) throw new ImagePullError(ref, err.message, err.kind);
        throw new ImagePullError(ref, err instanceof Error ? err.message : String(err), 'Invalid');
      }
    })().finally(() => this.#pulling.delete(parsed.name));
    this.#pulling.set(parsed.name, work);
    return work;
  }

  /** #addPulled indexes a pulled manifest (its blobs are stored already) under `name`; resolves with the image ID. */
  #addPulled(manifest: Buffer, manifestDigest: string, config: Buffer, name: string): string {
    const stored = this.#writeBlob(manifest);
    if (stored.digest !== manifestDigest) throw new Error(`manifest digest changed while storing it (${manifestDigest} vs ${stored.digest})`);
    const configDigest = sha256(config);
    const parsed = JSON.parse(manifest.toString('utf8')) as OciManifest;
    const index = this.#readIndex();
    index.manifests = index.manifests.filter((m) => m.annotations?.[REF_ANNOTATION] !== name);
    index.manifests.push({ mediaType: parsed.mediaType ?? MANIFEST_TYPE, digest: manifestDigest, size: manifest.length, annotations: { [REF_ANNOTATION]: name } });
    this.#writeIndex(index);
    return configDigest;
  }

  /**
   * manifestFor finds the manifest a registry client asks for: `repository` without its registry host, and a
   * tag or digest. Resolves with the stored bytes (as pulled or built) and their media type and digest.
   */
  manifestFor(repository: string, reference: string): { body: Buffer; mediaType: string; digest: string } | undefined {
    const index = this.#readIndex();
    const entry = reference.startsWith('sha256:')
      ? index.manifests.find((m) => m.digest === reference)
      : index.manifests.find((m) => {
          const ref = tryParseImageReference(m.annotations?.[REF_ANNOTATION] ?? '');
          return ref?.repository === repository && ref.tag === reference;
        });
    if (!entry || !this.hasBlob(entry.digest)) return undefined;
    const body = readFileSync(this.#blobPath(entry.digest));
    const mediaType = (JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType ?? entry.mediaType ?? MANIFEST_TYPE;
    return { body, mediaType, digest: entry.digest };
  }

  /** blobFile is where a stored blob is and its size, for serving it; undefined when absent. */
  blobFile(digest: string): { path: string; size: number } | undefined {
    if (!this.hasBlob(digest)) return undefined;
    const path = this.#blobPath(digest);
    return { path, size: fileSize(path) };
  }

  /** hasBlob says whether the store holds a blob (BlobSink). */
  hasBlob(digest: string): boolean {
    return /^sha256:[a-f0-9]{64}$/.test(digest) && existsSync(this.#blobPath(digest));
  }

  /** putBlob streams a blob in, checking its digest before it becomes visible (BlobSink). */
  async putBlob(digest: string, data: Readable): Promise<void> {
    if (!/^sha256:[a-f0-9]{64}$/.test(digest)) throw new Error(`unsupported digest "${digest}"`);
    const path = this.#blobPath(digest);
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    const hash = createHash('sha256');
    data.on('data', (chunk: Buffer) => hash.update(chunk));
    try {
      await pipeline(data, createWriteStream(tmp));
      const got = `sha256:${hash.digest('hex')}`;
      if (got !== digest) throw new Error(`blob ${digest} arrived with digest ${got}`);
      renameSync(tmp, path);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async removeImage(ref: string): Promise<void> {
    const found = this.#resolve(ref);
    if (!found) return;
    const index = this.#readIndex();
    const parsed = tryParseImageReference(ref);
    const byId = !parsed || found.manifest.config.digest.startsWith(ref.startsWith('sha256:') ? ref : `sha256:${ref}`);
    index.manifests = index.manifests.filter((m) => {
      if (byId) return this.#readJson<OciManifest>(m.digest).config.digest !== found.manifest.config.digest;
      return m.annotations?.[REF_ANNOTATION] !== parsed?.name && m.digest !== parsed?.digest;
    });
    this.#writeIndex(index);
  }

  async imageFsInfo(): Promise<ImageFsInfo> {
    const s = statfsSync(this.#root);
    const capacity = s.blocks * s.bsize;
    const available = s.bavail * s.bsize;
    return { mountpoint: this.#root, capacityBytes: capacity, availableBytes: available, usedBytes: capacity - s.bfree * s.bsize };
  }

  async unpacked(ref: string): Promise<UnpackedImage | undefined> {
    const found = this.#resolve(ref);
    if (!found) return undefined;
    const raw = this.#readJson<RawImageConfig>(found.manifest.config.digest);
    const diffIds = raw.rootfs?.diff_ids ?? [];
    if (diffIds.length !== found.manifest.layers.length) throw new Error(`Cannot unpack image ${ref}: its config lists ${diffIds.length} layers, its manifest ${found.manifest.layers.length}`);
    const layerDirs: string[] = [];
    for (const [i, layer] of found.manifest.layers.entries()) layerDirs.push(await this.#unpackLayer(layer.digest, diffIds[i] ?? ''));
    const c = raw.config ?? {};
    const config: ImageConfig = {
      entrypoint: c.Entrypoint ?? [],
      cmd: c.Cmd ?? [],
      env: c.Env ?? [],
      workingDir: c.WorkingDir ?? '',
      user: c.User ?? '',
      ...(c.StopSignal ? { stopSignal: c.StopSignal } : {}),
      exposedPorts: Object.keys(c.ExposedPorts ?? {}),
      labels: c.Labels ?? {},
    };
    this.#touch(found.manifest.config.digest);
    return { id: found.manifest.config.digest, ref: tryParseImageReference(ref)?.name ?? ref, config, layerDirs };
  }

  get #usagePath(): string {
    return join(this.#root, 'usage.json');
  }

  #readUsage(): Record<string, number> {
    try {
      return JSON.parse(readFileSync(this.#usagePath, 'utf8')) as Record<string, number>;
    } catch {
      return {};
    }
  }

  /**
   * #touch records that a container was made from image `id` now (for image GC's least-recently-used order). The
   * store keeps the times in memory and writes the file when an image's time there is a minute old or more: a
   * burst of pod starts from one image writes it once, where a write per start made (and freed) an inode on the
   * event loop each time. Image GC orders by minutes; upstream's kubelet keeps these times in memory only.
   */
  #touch(id: string): void {
    const usage = this.#usage();
    const now = Date.now();
    usage[id] = now;
    if (now - (this.#usageWritten.get(id) ?? -Infinity) < USAGE_WRITE_INTERVAL_MS) return;
    const tmp = `${this.#usagePath}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(usage));
    renameSync(tmp, this.#usagePath);
    for (const [written, at] of Object.entries(usage)) this.#usageWritten.set(written, at);
  }

  /** #usage is the images' last-use times: the file's, read once, then kept up to date in memory. */
  #usage(): Record<string, number> {
    return (this.#usageTimes ??= this.#readUsage());
  }

  /** lastUsed is when a container was last made from image `id` (ms), or undefined if never. */
  lastUsed(id: string): number | undefined {
    return this.#usage()[id];
  }

  /**
   * pruneBlobs deletes blobs and unpacked layers that no indexed image refers to any more (after removeImage)
   * and resolves with the bytes freed. It does nothing while a pull is running, since a pull stores its blobs
   * before it indexes the manifest.
   */
  async pruneBlobs(): Promise<number> {
    if (this.#pulling.size > 0) return 0;
    const keepBlobs = new Set<string>();
    const keepLayers = new Set<string>();
    for (const m of this.#readIndex().manifests) {
      keepBlobs.add(hexOf(m.digest));
      try {
        const manifest = this.#readJson<OciManifest>(m.digest);
        keepBlobs.add(hexOf(manifest.config.digest));
        for (const l of manifest.layers) {
          keepBlobs.add(hexOf(l.digest));
          keepLayers.add(hexOf(l.digest));
        }
        for (const d of this.#readJson<RawImageConfig>(manifest.config.digest).rootfs?.diff_ids ?? []) keepLayers.add(hexOf(d));
      } catch {
        // an unreadable manifest keeps only itself
      }
    }
    let freed = 0;
    const blobDir = join(this.#root, 'blobs', 'sha256');
    for (const name of readdirSync(blobDir)) {
      if (keepBlobs.has(name) || name.endsWith('.tmp')) continue;
      const path = join(blobDir, name);
      try {
        freed += fileSize(path);
        unlinkSync(path);
      } catch {
        // gone meanwhile
      }
    }
    const layerDir = join(this.#root, 'layers');
    for (const name of readdirSync(layerDir)) {
      if (keepLayers.has(name) || name.startsWith('.unpack-') || this.#unpacking.has(join(layerDir, name))) continue;
      await rm(join(layerDir, name), { recursive: true, force: true });
    }
    const usage = this.#usage();
    const ids = new Set([...keepBlobs].map((h) => `sha256:${h}`));
    if (Object.keys(usage).some((id) => !ids.has(id))) {
      for (const id of Object.keys(usage)) if (!ids.has(id)) delete usage[id];
      writeFileSync(this.#usagePath, JSON.stringify(usage));
    }
    return freed;
  }

  /** #unpackLayer unpacks one layer blob (once) and resolves with its directory. */
  #unpackLayer(blobDigest: string, diffId: string): Promise<string> {
    const dir = join(this.#root, 'layers', hexOf(diffId || blobDigest));
    if (existsSync(dir)) return Promise.resolve(dir);
    const running = this.#unpacking.get(dir);
    if (running) return running;
    const work = (async () => {
      const tmp = join(this.#root, 'layers', `.unpack-${randomBytes(6).toString('hex')}`);
      try {
        await mkdir(tmp, { recursive: true });
        await extractLayer(await readFile(this.#blobPath(blobDigest)), tmp);
        await rename(tmp, dir);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        if (existsSync(dir)) return dir; // unpacked meanwhile by another process
        throw err;
      }
      return dir;
    })().finally(() => this.#unpacking.delete(dir));
    this.#unpacking.set(dir, work);
    return work;
  }

  /**
   * importArchive adds the images of a `docker save` tarball or an OCI image layout archive (gzip or not).
   * Resolves with the images added; untagged images in an OCI archive are kept only by digest.
   */
  async importArchive(path: string): Promise<Image[]> {
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch (err) {
      throw new Error(`Cannot import ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    const entries = await readTar(data);
    const files = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.name.replace(/^\.\//, ''), e.data]));
    const images: Image[] = [];
    const manifestJson = files.get('manifest.json');
    if (manifestJson) {
      // docker save: [{Config, RepoTags, Layers}]
      const list = JSON.parse(manifestJson.toString('utf8')) as { Config: string; RepoTags?: string[] | null; Layers: string[] }[];
      for (const m of list) {
        const config = files.get(m.Config);
        if (!config) throw new Error(`Cannot import ${path}: ${m.Config} is missing from the archive`);
        const layers = m.Layers.map((l) => {
          const layer = files.get(l);
          if (!layer) throw new Error(`Cannot import ${path}: layer ${l} is missing from the archive`);
          return layer;
        });
        images.push(this.addImage(config, layers, m.RepoTags ?? []));
      }
      return images;
    }
    const indexJson = files.get('index.json');
    if (!indexJson) throw new Error(`Cannot import ${path}: neither a docker save archive (manifest.json) nor an OCI layout (index.json)`);
    const blob = (digest: string): Buffer => {
      const b = files.get(`blobs/sha256/${hexOf(digest)}`);
      if (!b) throw new Error(`Cannot import ${path}: blob ${digest} is missing from the archive`);
      return b;
    };
    const index = JSON.parse(indexJson.toString('utf8')) as OciIndex;
    for (const desc of index.manifests) {
      let manifest = JSON.parse(blob(desc.digest).toString('utf8')) as OciManifest & { manifests?: Descriptor[] };
      if (manifest.manifests) {
        // An image index: take the linux/amd64 manifest (or the first).
        const pick = manifest.manifests.find((m) => (m as { platform?: { os?: string; architecture?: string } }).platform?.architecture === 'amd64') ?? manifest.manifests[0];
        if (!pick) continue;
        manifest = JSON.parse(blob(pick.digest).toString('utf8')) as OciManifest;
      }
      const ref = desc.annotations?.[REF_ANNOTATION] ?? desc.annotations?.['io.containerd.image.name'];
      const refs = ref && tryParseImageReference(ref) ? [ref] : [];
      images.push(this.addImage(blob(manifest.config.digest), manifest.layers.map((l) => blob(l.digest)), refs));
    }
    return images;
  }
}

/** extractLayer unpacks a layer tar into `dir`, turning whiteouts into overlayfs whiteouts. */
async function extractLayer(data: Buffer, dir: string): Promise<void> {
  const entries = await readTar(data);
  const owners: { path: string; uid: number; gid: number }[] = [];
  for (const e of entries) {
    const rel = safeRelative(e.name);
    if (!rel) continue;
    const target = join(dir, rel);
    await mkdir(dirname(target), { recursive: true });
    const base = rel.split('/').pop() ?? '';
    if (base === '.wh..wh..opq') {
      // Opaque directory: the lower layers' contents of this directory are hidden.
      await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', dirname(target)]).catch(() => undefined);
      continue;
    }
    if (base.startsWith('.wh.')) {
      await run('mknod', [join(dirname(target), base.slice(4)), 'c', '0', '0']);
      continue;
    }
    switch (e.type) {
      case 'directory':
        await mkdir(target, { recursive: true });
        await chmod(target, e.mode & 0o7777);
        break;
      case 'file':
        await rm(target, { force: true });
        await writeFile(target, e.data, { mode: e.mode & 0o7777 });
        await chmod(target, e.mode & 0o7777);
        break;
      case 'symlink':
        await rm(target, { force: true });
        await symlink(e.linkname, target);
        break;
      case 'link': {
        const from = safeRelative(e.linkname);
        if (!from) continue;
        await rm(target, { force: true });
        await link(join(dir, from), target);
        break;
      }
      default:
        // Devices and FIFOs are left out: the runtime gives containers their /dev.
        continue;
    }
    owners.push({ path: target, uid: e.uid, gid: e.gid });
  }
  if (process.getuid?.() === 0) for (const o of owners) await lchown(o.path, o.uid, o.gid).catch(() => undefined);
}
