/**
 * The node's image store as the CLI and the agent open it: `<data-dir>/agent/images`, with the built-in busybox
 * and pause images added when missing and every archive in `<data-dir>/agent/images/import/` (k3s's air-gap
 * images directory) imported once, remembered by the archive's size and mtime. Pulls use the registries config
 * (mirrors and credentials, k3s's `registries.yaml` format) from `--private-registry`, else
 * `<data-dir>/registries.yaml` when it exists.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Image } from '../agent/cri/image-service.js';
import { ensureBuiltinImages } from '../agent/images/builtin-images.js';
import { OciImageStore } from '../agent/images/oci-image-store.js';
import { addStandInImages } from '../agent/images/stand-in-images.js';
import { noRegistriesConfig, parseRegistriesConfig, type RegistriesConfig } from '../agent/images/registries-config.js';
import { RegistryClient } from '../agent/images/registry-client.js';
import { RegistryServer } from '../agent/images/registry-server.js';

/** imageStoreRoot is where a data dir keeps its images. */
export function imageStoreRoot(dataDir: string): string {
  return join(dataDir, 'agent', 'images');
}

/** openImageStore opens (creating) the data dir's image store; with `prepare`, adds built-ins and imports the import dir. */
export async function openImageStore(dataDir: string, options: { prepare?: boolean; privateRegistry?: string; disableDefaultRegistryEndpoint?: boolean } = {}): Promise<OciImageStore> {
  const root = imageStoreRoot(dataDir);
  const store = new OciImageStore({ root, registry: new RegistryClient({ registries: loadRegistriesConfig(dataDir, options.privateRegistry, options.disableDefaultRegistryEndpoint === true) }) });
  if (options.prepare) {
    await ensureBuiltinImages(store);
    await importAirGapImages(store, join(root, 'import'));
  }
  return store;
}

/** importAirGapImages imports every new `*.tar`, `*.tar.gz` or `*.tgz` of `dir` (each once). */
export async function importAirGapImages(store: OciImageStore, dir: string): Promise<Image[]> {
  mkdirSync(dir, { recursive: true });
  const donePath = join(dir, '.imported.json');
  const done = existsSync(donePath) ? (JSON.parse(readFileSync(donePath, 'utf8')) as Record<string, string>) : {};
  const out: Image[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!/\.(tar|tar\.gz|tgz)$/.test(name)) continue;
    const st = statSync(join(dir, name));
    const stamp = `${st.size}:${st.mtimeMs}`;
    if (done[name] === stamp) continue;
    out.push(...(await store.importArchive(join(dir, name))));
    done[name] = stamp;
    writeFileSync(donePath, JSON.stringify(done));
  }
  return out;
}

/** loadRegistriesConfig reads `path` (an error when it cannot), else `<data-dir>/registries.yaml` when present. */
export function loadRegistriesConfig(dataDir: string, path?: string, disableDefaultEndpoint = false): RegistriesConfig {
  const file = path ?? join(dataDir, 'registries.yaml');
  if (!path && !existsSync(file)) return noRegistriesConfig;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read registries config ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseRegistriesConfig(text, file, { disableDefaultEndpoint });
}

/** serveImageRegistry publishes a data dir's image store read-only over the Registry v2 API; resolves with its URL. */
export async function serveImageRegistry(dataDir: string, address: string, port: number): Promise<string> {
  const store = await openImageStore(dataDir, { prepare: true });
  const server = new RegistryServer({ store, host: address, port });
  const url = await server.start();
  const stop = (): void => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return url;
}

/** addExampleStandIns adds the examples' stand-in images (jenkins, echoserver, …) to a data dir's store. */
export async function addExampleStandIns(dataDir: string): Promise<{ refs: readonly string[]; id: string; description: string }[]> {
  const store = await openImageStore(dataDir, { prepare: true });
  return (await addStandInImages(store)).map(({ image, standIn }) => ({ refs: standIn.refs, id: image.id, description: standIn.description }));
}
