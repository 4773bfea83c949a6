/**
 * exportOciArchive: one image of an OciImageStore as an OCI image layout archive (a tar of `oci-layout`,
 * `index.json` and the blobs the image needs), for handing images to another runtime — `ctr images import` for the
 * containerd backend. It reads the store's on-disk layout, which oci-image-store.ts documents as its contract.
 *
 * Every tag of the image is exported (so `busybox` brings `busybox:1.36` along). Each index entry carries the full
 * reference twice: as `io.containerd.image.name`, which containerd's importer takes verbatim as the image name, and
 * as `org.opencontainers.image.ref.name`, where the OCI spec puts it (and where other tools look).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pack as tarPack } from 'tar-stream';
import { tryParseImageReference } from './image-reference.js';

const REF_ANNOTATION = 'org.opencontainers.image.ref.name';
const CONTAINERD_NAME_ANNOTATION = 'io.containerd.image.name';

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

interface Manifest {
  config: Descriptor;
  layers: Descriptor[];
}

const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');

/** exportOciArchive resolves with the archive of the image `ref` names (tag, digest or ID), or undefined when absent. */
export async function exportOciArchive(storeRoot: string, ref: string): Promise<Buffer | undefined> {
  const blob = (digest: string): Buffer => readFileSync(join(storeRoot, 'blobs', 'sha256', hexOf(digest)));
  const index = JSON.parse(readFileSync(join(storeRoot, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const parsed = tryParseImageReference(ref);
  const configOf = (d: Descriptor): string => (JSON.parse(blob(d.digest).toString('utf8')) as Manifest).config.digest;
  let entry: Descriptor | undefined;
  if (parsed?.digest) entry = index.manifests.find((m) => m.digest === parsed.digest);
  else if (parsed) entry = index.manifests.find((m) => m.annotations?.[REF_ANNOTATION] === parsed.name);
  if (!entry && /^(sha256:)?[a-f0-9]{12,64}$/.test(ref)) {
    const want = ref.startsWith('sha256:') ? ref : `sha256:${ref}`;
    entry = index.manifests.find((m) => configOf(m).startsWith(want));
  }
  if (!entry) return undefined;
  const manifestDigest = entry.digest;
  const manifest = JSON.parse(blob(manifestDigest).toString('utf8')) as Manifest;
  const tags = index.manifests.filter((m) => m.digest === manifestDigest).map((m) => m.annotations?.[REF_ANNOTATION] ?? '').filter((t) => t !== '');
  const names = tags.length > 0 ? tags : parsed && !parsed.digest ? [parsed.name] : [];
  const out = {
    schemaVersion: 2,
    manifests: names.map((name) => ({ mediaType: entry.mediaType || 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: entry.size, annotations: { [CONTAINERD_NAME_ANNOTATION]: name, [REF_ANNOTATION]: name } })),
  };
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  const file = (name: string, data: Buffer): void => {
    pack.entry({ name, type: 'file', mode: 0o644, mtime: new Date(0) }, data);
  };
  file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  file('index.json', Buffer.from(JSON.stringify(out)));
  pack.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime: new Date(0) });
  pack.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime: new Date(0) });
  const seen = new Set<string>();
  for (const d of [manifestDigest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
    if (seen.has(d)) continue;
    seen.add(d);
    file(`blobs/sha256/${hexOf(d)}`, blob(d));
  }
  pack.finalize();
  return done;
}
