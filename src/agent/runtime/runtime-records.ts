/**
 * RuntimeRecords: the on-disk bookkeeping the local runtimes (runc, process) share. Each sandbox and container
 * is one JSON record under the runtime's root:
 *
 *    <root>/sandboxes/<id>/sandbox.json     (the sandbox directory may hold more files, e.g. runc's /etc files)
 *    <root>/containers/<id>/container.json  (the container directory holds the runtime's per-container files)
 *
 * Records are written temp + rename, so a reader (or an agent restarted over the same root) never sees half a
 * record; a directory without a readable record is skipped, as a create that died half-way leaves one.
 * What a record holds beyond the common fields is the runtime's business (`S`, `C`).
 *
 * The files are the durable copy; reads come from memory. Every sync of every pod lists sandboxes and containers,
 * so reading and parsing each record on each list made a node's work grow with the square of its pods (200 pods:
 * ~100,000 file reads a second). A list still reads the directory (one call), so records another instance over
 * the same root added or removed are seen; a record another instance *changed* is not (only one instance writes a
 * root at a time: the agent; the others are a restarted agent and `tkube down`, which start after it).
 * Single-record lookups hand out a copy (callers change it and save it); lists hand out the cached records, which
 * callers must not change.
 *
 * Removal (removeSandboxDir, removeContainerDir) renames the directory into `<root>/removing/` — one syscall, after
 * which no list or lookup sees the record — and deletes the files on libuv's thread pool: a recursive delete of a
 * container's directory (its overlay upper dir, logs of the shim) took whole milliseconds of the event loop per
 * pod, 7 s of an 80-pod burst's profile. What a killed agent left in `removing/` goes at the next construction.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, writeJsonAtomic } from '../../base/fs/json-file.js';
import type { ContainerConfig, ContainerFilter, ContainerStatus, PodSandboxConfig, PodSandboxFilter, PodSandboxStatus } from '../cri/runtime-service.js';
import { RuntimeNotFoundError } from '../cri/runtime-service.js';

/** SandboxRecordBase is what every runtime's sandbox record holds. */
export interface SandboxRecordBase {
  readonly id: string;
  readonly config: PodSandboxConfig;
  state: 'SANDBOX_READY' | 'SANDBOX_NOTREADY';
}

/** ContainerRecordBase is what every runtime's container record holds. */
export interface ContainerRecordBase {
  readonly id: string;
  readonly sandboxId: string;
  readonly config: ContainerConfig;
}

/** What a local runtime's container record holds that a ContainerStatus reports. */
export interface StartedContainerRecord extends ContainerRecordBase {
  readonly imageRef: string;
  readonly logPath: string;
  readonly createdAt: number;
  readonly startedAt: number;
}

/** How a container ended, in the terms of a ContainerStatus; `reason` defaults to Completed (0) or Error. */
export interface ContainerEnd {
  readonly exitCode: number;
  readonly finishedAt: number;
  readonly reason?: string;
  readonly message?: string;
}

/**
 * containerStatusOf is the CRI status of a local runtime's container: exited once it has an end, running once
 * started, created before.
 */
export function containerStatusOf(rec: StartedContainerRecord, end: ContainerEnd | undefined): ContainerStatus {
  return {
    id: rec.id,
    sandboxId: rec.sandboxId,
    metadata: rec.config.metadata,
    state: end ? 'CONTAINER_EXITED' : rec.startedAt > 0 ? 'CONTAINER_RUNNING' : 'CONTAINER_CREATED',
    createdAt: rec.createdAt,
    startedAt: rec.startedAt,
    finishedAt: end?.finishedAt ?? 0,
    exitCode: end?.exitCode ?? 0,
    image: rec.config.image,
    imageRef: rec.imageRef,
    reason: end ? (end.reason ?? (end.exitCode === 0 ? 'Completed' : 'Error')) : '',
    message: end?.message ?? '',
    labels: rec.config.labels,
    annotations: rec.config.annotations,
    logPath: rec.logPath,
  };
}

/** newRuntimeId is a fresh sandbox or container ID (32 hex digits, as containerd's). */
export function newRuntimeId(): string {
  return randomBytes(16).toString('hex');
}

/** matchesLabels: every selector entry is among the labels (an absent selector matches all). */
export function matchesLabels(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

/** filterSandboxes applies a ListPodSandbox filter. */
export function filterSandboxes(statuses: PodSandboxStatus[], filter: PodSandboxFilter): PodSandboxStatus[] {
  return statuses.filter((s) => (!filter.id || s.id === filter.id) && (!filter.state || s.state === filter.state) && matchesLabels(s.labels, filter.labelSelector));
}

/** filterContainers applies a ListContainers filter. */
export function filterContainers(statuses: ContainerStatus[], filter: ContainerFilter): ContainerStatus[] {
  return statuses.filter(
    (s) => (!filter.id || s.id === filter.id) && (!filter.sandboxId || s.sandboxId === filter.sandboxId) && (!filter.state || s.state === filter.state) && matchesLabels(s.labels, filter.labelSelector),
  );
}

/**
 * containerRecordMatches applies the parts of a ListContainers filter a record answers by itself (ID, sandbox,
 * labels), so a runtime works out the status (which may read files) only of the records that can match.
 */
export function containerRecordMatches(rec: ContainerRecordBase, filter: ContainerFilter): boolean {
  return (!filter.id || rec.id === filter.id) && (!filter.sandboxId || rec.sandboxId === filter.sandboxId) && matchesLabels(rec.config.labels, filter.labelSelector);
}

/** sandboxRecordMatches is containerRecordMatches for a ListPodSandbox filter. */
export function sandboxRecordMatches(rec: SandboxRecordBase, filter: PodSandboxFilter): boolean {
  return (!filter.id || rec.id === filter.id) && (!filter.state || rec.state === filter.state) && matchesLabels(rec.config.labels, filter.labelSelector);
}

/** RuntimeRecords keeps a runtime's sandbox and container records; see the file comment. */
export class RuntimeRecords<S extends SandboxRecordBase, C extends ContainerRecordBase> {
  readonly #root: string;
  /** Records by ID as last read or saved; see the file comment. */
  readonly #sandboxCache = new Map<string, S>();
  readonly #containerCache = new Map<string, C>();
  readonly #sandboxListing: DirListing;
  readonly #containerListing: DirListing;

  readonly #onRemoveError: (path: string, err: unknown) => void;
  /** Background deletes under way (see removeSandboxDir); settled() waits for them. */
  readonly #removals = new Set<Promise<void>>();

  /**
   * The constructor creates `<root>/sandboxes` and `<root>/containers`, and starts deleting what an earlier
   * instance left in `<root>/removing`. `onRemoveError` hears of a background delete that failed (the files stay;
   * nothing else depends on them).
   */
  constructor(root: string, options: { readonly onRemoveError?: (path: string, err: unknown) => void } = {}) {
    this.#root = root;
    this.#onRemoveError = options.onRemoveError ?? (() => undefined);
    mkdirSync(join(root, 'sandboxes'), { recursive: true });
    mkdirSync(join(root, 'containers'), { recursive: true });
    this.#sandboxListing = new DirListing(join(root, 'sandboxes'));
    this.#containerListing = new DirListing(join(root, 'containers'));
    let left: string[] = [];
    try {
      left = readdirSync(join(root, 'removing'));
    } catch {
      // No earlier removals.
    }
    for (const name of left) this.deleteInBackground(join(root, 'removing', name));
  }

  /** settled resolves once every background delete started so far has finished. */
  async settled(): Promise<void> {
    while (this.#removals.size > 0) await Promise.all([...this.#removals]);
  }

  /**
   * #removeDir takes `dir` out of sight at once (a rename into `<root>/removing/`) and deletes it in the background.
   * A directory that cannot be renamed (e.g. itself a mount point) is deleted here and now, as before.
   */
  #removeDir(dir: string): void {
    const removing = join(this.#root, 'removing');
    const target = join(removing, `${randomBytes(6).toString('hex')}`);
    try {
      mkdirSync(removing, { recursive: true });
      renameSync(dir, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync(dir)) return;
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    this.deleteInBackground(target);
  }

  /**
   * deleteInBackground deletes `path` (recursively, if there) on libuv's thread pool; settled() waits for it. For
   * files of a record kept elsewhere (runc's writable layers on disk), which cannot be renamed into `removing/`.
   */
  deleteInBackground(path: string): void {
    const removal: Promise<void> = rm(path, { recursive: true, force: true, maxRetries: 2 })
      .catch((err: unknown) => this.#onRemoveError(path, err))
      .finally(() => this.#removals.delete(removal));
    this.#removals.add(removal);
  }

  // ---- sandboxes ----

  /** sandboxPath is a file of the sandbox's directory (its record by default). */
  sandboxPath(id: string, file = 'sandbox.json'): string {
    return join(this.#root, 'sandboxes', id, file);
  }

  sandboxDir(id: string): string {
    return join(this.#root, 'sandboxes', id);
  }

  /** findSandbox is (a copy of) the sandbox's record, or undefined when there is none. */
  findSandbox(id: string): S | undefined {
    const rec = this.#cachedSandbox(id);
    return rec ? structuredClone(rec) : undefined;
  }

  /** sandbox is (a copy of) the sandbox's record; a missing one throws RuntimeNotFoundError. */
  sandbox(id: string): S {
    const rec = this.findSandbox(id);
    if (!rec) throw new RuntimeNotFoundError('sandbox', id);
    return rec;
  }

  /** sandboxStatuses answers a ListPodSandbox: the records `filter` selects, as `statusOf` reports each. */
  sandboxStatuses(filter: PodSandboxFilter, statusOf: (rec: S) => PodSandboxStatus): PodSandboxStatus[] {
    return filterSandboxes(
      this.sandboxes()
        .filter((r) => sandboxRecordMatches(r, filter))
        .map(statusOf),
      filter,
    );
  }

  /** containerStatuses answers a ListContainers: the records `filter` selects, as `statusOf` reports each. */
  containerStatuses(filter: ContainerFilter, statusOf: (rec: C) => ContainerStatus): ContainerStatus[] {
    return filterContainers(
      this.containers()
        .filter((r) => containerRecordMatches(r, filter))
        .map(statusOf),
      filter,
    );
  }

  /** sandboxes lists every sandbox record (the cache's own objects: read only). */
  sandboxes(): readonly S[] {
    return listCached(this.#sandboxListing, this.#sandboxCache, (id) => this.sandboxPath(id));
  }

  saveSandbox(rec: S): void {
    writeJsonAtomic(this.sandboxPath(rec.id), rec);
    this.#sandboxListing.invalidate();
    this.#sandboxCache.set(rec.id, structuredClone(rec));
  }

  /** #cachedSandbox is the cached record while its file exists, else what the file holds now. */
  #cachedSandbox(id: string): S | undefined {
    return cachedRecord(this.#sandboxCache, id, this.sandboxPath(id));
  }

  /** removeSandboxDir removes the sandbox's directory and record (see the file comment: the files go in the background). */
  removeSandboxDir(id: string): void {
    this.#sandboxCache.delete(id);
    this.#removeDir(this.sandboxDir(id));
    this.#sandboxListing.invalidate();
  }

  /** checkNewSandbox throws when this attempt of the pod has a sandbox already (CRI names are unique). */
  checkNewSandbox(config: PodSandboxConfig): void {
    const m = config.metadata;
    const clash = this.sandboxes().find((s) => s.config.metadata.uid === m.uid && s.config.metadata.attempt === m.attempt && s.config.metadata.name === m.name && s.config.metadata.namespace === m.namespace);
    if (clash) throw new Error(`Cannot run sandbox for pod ${m.namespace}/${m.name}: attempt ${m.attempt} exists already as ${clash.id}`);
  }

  // ---- containers ----

  containerDir(id: string): string {
    return join(this.#root, 'containers', id);
  }

  /** findContainer is (a copy of) the container's record, or undefined when there is none. */
  findContainer(id: string): C | undefined {
    const rec = cachedRecord(this.#containerCache, id, this.#containerPath(id));
    return rec ? structuredClone(rec) : undefined;
  }

  /** container is (a copy of) the container's record; a missing one throws RuntimeNotFoundError. */
  container(id: string): C {
    const rec = this.findContainer(id);
    if (!rec) throw new RuntimeNotFoundError('container', id);
    return rec;
  }

  /** containers lists every container record (the cache's own objects: read only). */
  containers(): readonly C[] {
    return listCached(this.#containerListing, this.#containerCache, (id) => this.#containerPath(id));
  }

  /** containersOf lists the containers of one sandbox (read only, as containers()). */
  containersOf(sandboxId: string): readonly C[] {
    return this.containers().filter((c) => c.sandboxId === sandboxId);
  }

  saveContainer(rec: C): void {
    writeJsonAtomic(this.#containerPath(rec.id), rec);
    this.#containerListing.invalidate();
    this.#containerCache.set(rec.id, structuredClone(rec));
  }

  /** removeContainerDir removes the container's directory and record (the files go in the background). */
  removeContainerDir(id: string): void {
    this.#containerCache.delete(id);
    this.#removeDir(this.containerDir(id));
    this.#containerListing.invalidate();
  }

  #containerPath(id: string): string {
    return join(this.containerDir(id), 'container.json');
  }

  /**
   * checkNewContainer gives the sandbox a new container goes into; it throws RuntimeNotFoundError when the
   * sandbox is missing, and an error when it is not ready or this attempt of the container exists already.
   */
  checkNewContainer(sandboxId: string, config: ContainerConfig): S {
    const sandbox = this.sandbox(sandboxId);
    const name = config.metadata.name;
    if (sandbox.state !== 'SANDBOX_READY') throw new Error(`Cannot create container ${name}: sandbox ${sandboxId} is not ready`);
    if (this.containersOf(sandboxId).some((c) => c.config.metadata.name === name && c.config.metadata.attempt === config.metadata.attempt)) {
      throw new Error(`Cannot create container ${name}: attempt ${config.metadata.attempt} exists already in sandbox ${sandboxId}`);
    }
    return sandbox;
  }
}

/** cachedRecord is the cached record while its file exists (one stat), else the file's record, cached. */
function cachedRecord<T>(cache: Map<string, T>, id: string, path: string): T | undefined {
  const held = cache.get(id);
  if (held !== undefined && existsSync(path)) return held;
  cache.delete(id);
  const rec = readJson<T>(path);
  if (rec !== undefined) cache.set(id, rec);
  return rec;
}

/**
 * A directory's modification time moves on every entry added or removed, but in steps of the kernel's coarse clock
 * (a scheduler tick, 1–10 ms): a listing is reused only when the time it was read at was at least this much past
 * the directory's mtime, so a change within the same tick as the read is not missed.
 */
const MTIME_SETTLED_MS = 50;

/**
 * DirListing remembers a directory's entries with its mtime: while the mtime stays, the entries are the same and
 * the directory need not be read again (one stat instead of a getdents and a string per entry; every pod sync
 * lists twice, so a node of 200 pods read 400 entries per sync). This instance's own adds and removes call
 * invalidate(); the mtime catches everyone else's (a restarted agent, `tkube down`).
 */
class DirListing {
  readonly #dir: string;
  #ids: string[] = [];
  #mtimeMs = -1;

  constructor(dir: string) {
    this.#dir = dir;
  }

  ids(): string[] {
    const readAt = Date.now();
    const mtimeMs = statSync(this.#dir).mtimeMs;
    if (mtimeMs === this.#mtimeMs) return this.#ids;
    const ids = readdirSync(this.#dir);
    // Reusable next time only once the directory's mtime is safely in the past (see MTIME_SETTLED_MS).
    this.#mtimeMs = readAt - mtimeMs >= MTIME_SETTLED_MS ? mtimeMs : -1;
    this.#ids = ids;
    return ids;
  }

  invalidate(): void {
    this.#mtimeMs = -1;
  }
}

/**
 * listCached lists the records of the IDs in `dir` (one directory read, or none while its listing holds):
 * cached ones from memory, others read (and cached); IDs no longer there leave the cache. A directory without a
 * readable record is skipped and read again next time (a create that died half-way, or one under way).
 */
function listCached<T>(listing: DirListing, cache: Map<string, T>, pathOf: (id: string) => string): T[] {
  const ids = listing.ids();
  if (cache.size > ids.length || ids.some((id) => !cache.has(id))) {
    const present = new Set(ids);
    for (const id of cache.keys()) if (!present.has(id)) cache.delete(id);
  }
  const out: T[] = [];
  for (const id of ids) {
    let rec = cache.get(id);
    if (rec === undefined) {
      rec = readJson<T>(pathOf(id));
      if (rec === undefined) continue;
      cache.set(id, rec);
    }
    out.push(rec);
  }
  return out;
}
