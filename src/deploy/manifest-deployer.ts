/**
 * ManifestDeployer: auto-deploying manifests, as k3s's `server/manifests` directory. Every `*.yaml`, `*.yml` and
 * `*.json` file in a directory (`<data-dir>/manifests/`) is applied with server-side apply (field manager
 * `tkube-deploy`, forced, as k3s's deploy controller owns what its files say) when the server starts and again
 * whenever a file there changes: files in name order, documents in file order. A kind the server does not serve yet
 * (a custom resource whose CRD the same pass creates) is retried on the next passes, a second apart, up to
 * MAX_PASSES.
 *
 * Contract:
 * - Applying is idempotent, so a pass may run any number of times (several servers each run one; a restart runs
 *   one) and converges on what the files say.
 * - What a file stops naming is not deleted: k3s tracks that through Addon objects; we leave deletion to the user
 *   (docs/cluster-lifecycle.md).
 * - Failures are values: a file that does not parse, an object without kind or name, an object the server refuses
 *   is one log line (and one entry in the pass's report) and the rest are applied.
 */
import { readdirSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../api/meta/types.js';
import type { Clock, Timer } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from '../client/rest-client.js';

/** FIELD_MANAGER names the deployer in managedFields. */
export const FIELD_MANAGER = 'tkube-deploy';
/** Passes per run for kinds that are not served yet (a CRD in the same directory being established). */
const MAX_PASSES = 10;
/** A burst of file events (an editor's save is several) becomes one run after this quiet time. */
const DEBOUNCE_MS = 300;
const MANIFEST = /\.(ya?ml|json)$/;

/** ManifestDeployerConfig constructs a ManifestDeployer. */
export interface ManifestDeployerConfig {
  readonly client: RestClient;
  readonly dir: string;
  readonly clock: Clock;
  readonly log: Logger;
}

/** DeployReport is what one run did. */
export interface DeployReport {
  readonly applied: readonly string[];
  /** `file: reason` per problem. */
  readonly failed: readonly string[];
}

interface Manifest {
  readonly file: string;
  readonly obj: KubeObject;
}

interface ResourceInfo {
  readonly resource: string;
  readonly namespaced: boolean;
}

/** readManifests parses every manifest file of `dir`; problems are returned, not thrown. */
export function readManifests(dir: string): { manifests: Manifest[]; failed: string[] } {
  const manifests: Manifest[] = [];
  const failed: string[] = [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => MANIFEST.test(f) && !f.startsWith('.')).sort();
  } catch {
    return { manifests, failed };
  }
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), 'utf8');
    } catch (err) {
      failed.push(`${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      continue;
    }
    const docs = parseAllDocuments(text);
    for (const doc of Array.isArray(docs) ? docs : [docs]) {
      if (doc.errors.length > 0) {
        failed.push(`${file}: ${doc.errors[0]?.message.split('\n')[0] ?? 'invalid YAML'}`);
        continue;
      }
      const value: unknown = doc.toJS();
      if (value === null || value === undefined) continue;
      const items = isList(value) ? value.items : [value];
      for (const item of items) {
        const obj = item as KubeObject;
        if (typeof obj !== 'object' || obj === null || typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string' || typeof obj.metadata?.name !== 'string') {
          failed.push(`${file}: an object without apiVersion, kind or metadata.name`);
          continue;
        }
        manifests.push({ file, obj });
      }
    }
  }
  return { manifests, failed };
}

function isList(v: unknown): v is { items: unknown[] } {
  return typeof v === 'object' && v !== null && typeof (v as { kind?: unknown }).kind === 'string' && ((v as { kind: string }).kind === 'List' || (v as { kind: string }).kind.endsWith('List')) && Array.isArray((v as { items?: unknown }).items);
}

/** ManifestDeployer: see the file comment. */
export class ManifestDeployer {
  readonly #c: ManifestDeployerConfig;
  readonly #resources = new Map<string, Map<string, ResourceInfo>>();
  #watcher: FSWatcher | undefined;
  #timer: Timer | undefined;
  #running: Promise<DeployReport> | undefined;
  #again = false;
  #stopped = false;

  constructor(config: ManifestDeployerConfig) {
    this.#c = config;
  }

  /** start applies the directory once and then on every change; resolves with the first run's report. */
  start(): Promise<DeployReport> {
    try {
      this.#watcher = watch(this.#c.dir, () => this.#schedule());
      this.#watcher.on('error', (err) => this.#c.log.warn('Cannot watch the manifests directory', { dir: this.#c.dir, error: err.message }));
    } catch (err) {
      this.#c.log.warn('Cannot watch the manifests directory; applied at start only', { dir: this.#c.dir, error: err instanceof Error ? err.message : String(err) });
    }
    return this.run();
  }

  stop(): void {
    this.#stopped = true;
    this.#watcher?.close();
    this.#timer?.cancel();
  }

  /** run applies every manifest now (after a run in progress, if any). */
  run(): Promise<DeployReport> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#runOnce().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        void this.run();
      }
    });
    return this.#running;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = this.#c.clock.setTimer(DEBOUNCE_MS, () => void this.run());
  }

  async #runOnce(): Promise<DeployReport> {
    const { manifests, failed } = readManifests(this.#c.dir);
    for (const f of failed) this.#c.log.warn('Cannot read a manifest', { dir: this.#c.dir, problem: f });
    const applied: string[] = [];
    let pending = manifests;
    this.#resources.clear();
    for (let pass = 0; pending.length > 0 && pass < MAX_PASSES && !this.#stopped; pass++) {
      if (pass > 0) {
        await this.#c.clock.sleep(1000);
        this.#resources.clear();
      }
      const unserved: Manifest[] = [];
      for (const m of pending) {
        const outcome = await this.#apply(m.obj);
        const name = `${m.obj.kind}/${m.obj.metadata?.name ?? ''}`;
        if (outcome === 'applied') applied.push(`${m.file}: ${name}`);
        else if (outcome === 'unserved') unserved.push(m);
        else {
          failed.push(`${m.file}: ${name}: ${outcome.error}`);
          this.#c.log.warn('Cannot apply a manifest', { file: m.file, object: name, error: outcome.error });
        }
      }
      pending = unserved;
    }
    for (const m of pending) {
      const problem = `${m.file}: ${m.obj.apiVersion ?? ''} ${m.obj.kind ?? ''} is not served by this server`;
      failed.push(problem);
      this.#c.log.warn('Cannot apply a manifest', { problem });
    }
    if (applied.length > 0 || failed.length > 0) this.#c.log.info('Applied the manifests directory', { dir: this.#c.dir, applied: applied.length, failed: failed.length });
    return { applied, failed };
  }

  async #apply(obj: KubeObject): Promise<'applied' | 'unserved' | { error: string }> {
    const [group, version] = (obj.apiVersion ?? '').includes('/') ? (obj.apiVersion ?? '').split('/', 2) : ['', obj.apiVersion ?? ''];
    const info = await this.#resourceOf(group ?? '', version ?? '', obj.kind ?? '');
    if (!info) return 'unserved';
    const name = obj.metadata?.name ?? '';
    const namespace = info.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
    const body = { ...obj, metadata: { ...obj.metadata, ...(namespace ? { namespace } : {}) } };
    try {
      await this.#c.client.patch({ group: group ?? '', version: version ?? '', resource: info.resource, ...(namespace ? { namespace } : {}), name }, 'apply', body, { fieldManager: FIELD_MANAGER, force: true });
      return 'applied';
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** #resourceOf finds a kind's resource in its group/version's discovery document (cached for one pass). */
  async #resourceOf(group: string, version: string, kind: string): Promise<ResourceInfo | undefined> {
    const gv = group === '' ? version : `${group}/${version}`;
    let kinds = this.#resources.get(gv);
    if (!kinds) {
      kinds = new Map();
      try {
        const doc = (await this.#c.client.getPath(group === '' ? `/api/${version}` : `/apis/${gv}`)) as { resources?: { name?: string; kind?: string; namespaced?: boolean }[] };
        for (const r of doc.resources ?? []) {
          if (typeof r.name === 'string' && !r.name.includes('/') && typeof r.kind === 'string') kinds.set(r.kind, { resource: r.name, namespaced: r.namespaced === true });
        }
      } catch {
        // Not served (yet): an empty map, so the kind is retried on the next pass.
      }
      this.#resources.set(gv, kinds);
    }
    return kinds.get(kind);
  }
}
