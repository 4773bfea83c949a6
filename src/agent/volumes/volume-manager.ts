/**
 * VolumeManager: a pod's volumes on this node, set up before its containers start and torn down when it goes.
 *
 * Layout: `<rootDir>/pods/<uid>/volumes/<plugin>/<name>` for volumes the node makes (emptyDir, configMap,
 * secret, projected, downwardAPI — the last three on a tmpfs each); hostPath and persistentVolumeClaim volumes
 * are node paths used in place.
 *
 * `setUp` is called on every sync of the pod and is cheap when nothing is due: volumes are set up once, and the
 * ones whose content comes from the API (configMap, secret, projected, downwardAPI) are rewritten — atomically,
 * only when changed — at most every `refreshMs`. A volume that cannot be set up the first time is an error
 * value (`MountVolume.SetUp failed for volume "x" : ...`, the FailedMount event's text) and the pod's containers
 * wait; a failed refresh keeps the last content and is reported as a warning.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../base/clock/clock.js';
import type { NodeAllocatable } from '../downward/field-ref.js';
import type { ObjectSource } from '../object-source.js';
import type { PodView, Volume } from '../pod-spec.js';
import { setUpConfigMap } from './config-map.js';
import type { VolumePath } from './container-mounts.js';
import { setUpDownwardAPI } from './downward-api.js';
import { setUpEmptyDir } from './empty-dir.js';
import { setUpHostPath } from './host-path.js';
import { HostMounter, type Mounter } from './mounter.js';
import { setUpPersistentVolumeClaim } from './persistent-volume-claim.js';
import { setUpProjected } from './projected.js';
import { setUpSecret } from './secret.js';
import { TokenCache } from './token-cache.js';
import { PLUGIN_DIRS, type SetUpResult, type VolumeContext } from './volume-plugin.js';

/** How often API-sourced volumes are rewritten from their objects, unless configured. */
const DEFAULT_REFRESH_MS = 10_000;

/** VolumeManagerConfig constructs a VolumeManager. */
export interface VolumeManagerConfig {
  /** The kubelet's root; volumes kept on disk go under `<rootDir>/pods/<uid>/volumes`. */
  readonly rootDir: string;
  /**
   * Where what lives only as long as the pod goes, `<volatileDir>/pods/<uid>`: the memory-backed volumes (secret,
   * projected, downwardAPI), and the pod's other small files (PodSetup: etc-hosts and the
   * termination-message files). The node gives a tmpfs here: each file or directory made on the data dir's file
   * system costs an inode allocation, which is dear on a journal-less ext4 (docs/benchmarks.md, issue 6 session 15),
   * and none of this has to outlive the machine (the containers do not). It must be a tmpfs when it is not
   * rootDir: memory-backed volumes made there get no tmpfs of their own (they are in memory already, and each mount
   * would be one more line of the host's mount table, which every `runc run` reads). @default rootDir
   */
  readonly volatileDir?: string;
  readonly source: ObjectSource;
  readonly clock: Clock;
  readonly node: NodeAllocatable;
  /** @default HostMounter */
  readonly mounter?: Mounter;
  /** @default 10000 */
  readonly refreshMs?: number;
}

/** PodVolumes is the outcome of setUp. */
export type PodVolumes =
  | { readonly volumes: ReadonlyMap<string, VolumePath>; readonly warnings: readonly string[]; readonly error?: undefined }
  | { readonly error: string; readonly volume: string };

type Plugin = (ctx: VolumeContext) => Promise<SetUpResult>;

/**
 * pluginOf picks the plugin of a volume: its directory name ('' for volumes used in place), whether its content
 * is rewritten from the API, and whether it lives on a tmpfs — secret, projected and downwardAPI volumes do, as
 * upstream's, so Secrets and tokens never reach the node's disk.
 */
function pluginOf(v: Volume): { plugin: Plugin; dir: string; refreshed: boolean; memory: boolean } | undefined {
  if (v.emptyDir) return { plugin: setUpEmptyDir, dir: PLUGIN_DIRS.emptyDir, refreshed: false, memory: false };
  if (v.hostPath) return { plugin: setUpHostPath, dir: '', refreshed: false, memory: false };
  if (v.configMap) return { plugin: setUpConfigMap, dir: PLUGIN_DIRS.configMap, refreshed: true, memory: false };
  if (v.secret) return { plugin: setUpSecret, dir: PLUGIN_DIRS.secret, refreshed: true, memory: true };
  if (v.projected) return { plugin: setUpProjected, dir: PLUGIN_DIRS.projected, refreshed: true, memory: true };
  if (v.downwardAPI) return { plugin: setUpDownwardAPI, dir: PLUGIN_DIRS.downwardAPI, refreshed: true, memory: true };
  if (v.persistentVolumeClaim) return { plugin: setUpPersistentVolumeClaim, dir: '', refreshed: false, memory: false };
  return undefined;
}

/** VolumeManager sets up and tears down pod volumes; see the file comment. */
export class VolumeManager {
  readonly #c: VolumeManagerConfig;
  readonly #mounter: Mounter;
  readonly #tokens: TokenCache;
  /** The volatile directory when it is not rootDir (then a tmpfs, see VolumeManagerConfig.volatileDir). */
  readonly #volatile: string | undefined;
  readonly #pods = new Map<string, { volumes: Map<string, VolumePath>; refreshedAt: number }>();

  constructor(config: VolumeManagerConfig) {
    this.#c = config;
    this.#mounter = config.mounter ?? new HostMounter();
    this.#tokens = new TokenCache(config.clock);
    this.#volatile = config.volatileDir !== undefined && config.volatileDir !== config.rootDir ? config.volatileDir : undefined;
  }

  /** podDir is where a pod's volumes kept on disk live. */
  podDir(uid: string): string {
    return join(this.#c.rootDir, 'pods', uid);
  }

  /** volatilePodDir is where the pod's memory-backed volumes and its other files that die with it live. */
  volatilePodDir(uid: string): string {
    return join(this.#volatile ?? this.#c.rootDir, 'pods', uid);
  }

  /** #onVolatileTmpfs says whether `dir` is in the volatile directory, which is then a tmpfs (see the config). */
  #onVolatileTmpfs(dir: string): boolean {
    return this.#volatile !== undefined && dir.startsWith(`${this.#volatile}/`);
  }

  /**
   * #volumeDir is where a volume of the pod is set up: a memory-backed one in the pod's volatile directory, unless
   * it is mounted already where the kubelet kept it before it had one (a pod started by an older kubelet).
   */
  #volumeDir(uid: string, pluginDir: string, name: string, memory: boolean): string {
    const onDisk = join(this.podDir(uid), 'volumes', pluginDir || 'none', name);
    if (!memory || this.#volatile === undefined) return onDisk;
    return existsSync(onDisk) && this.#mounter.isMountPoint(onDisk) ? onDisk : join(this.volatilePodDir(uid), 'volumes', pluginDir || 'none', name);
  }

  /** setUp makes every volume of the pod ready (or refreshes them when due); see the file comment. */
  async setUp(pod: PodView): Promise<PodVolumes> {
    const uid = pod.metadata?.uid ?? '';
    const now = this.#c.clock.now();
    const state = this.#pods.get(uid) ?? { volumes: new Map<string, VolumePath>(), refreshedAt: -Infinity };
    this.#pods.set(uid, state);
    const specs = pod.spec?.volumes ?? [];
    const due = now - state.refreshedAt >= (this.#c.refreshMs ?? DEFAULT_REFRESH_MS);
    const warnings: string[] = [];
    for (const v of specs) {
      const have = state.volumes.get(v.name);
      const p = pluginOf(v);
      if (!p) return { error: `MountVolume.SetUp failed for volume "${v.name}" : unsupported volume type`, volume: v.name };
      if (have && !(p.refreshed && due)) continue;
      const ctx: VolumeContext = {
        pod,
        volume: v,
        dir: this.#volumeDir(uid, p.dir, v.name, p.memory),
        source: this.#c.source,
        node: this.#c.node,
        clock: this.#c.clock,
        mounter: this.#mounter,
        tokens: this.#tokens,
      };
      let r: SetUpResult;
      try {
        if (p.memory && !have) {
          mkdirSync(ctx.dir, { recursive: true, mode: 0o755 });
          if (!this.#onVolatileTmpfs(ctx.dir) && !this.#mounter.isMountPoint(ctx.dir)) await this.#mounter.mountTmpfs(ctx.dir, 0);
        }
        r = await p.plugin(ctx);
      } catch (err) {
        r = { error: err instanceof Error ? err.message : String(err) };
      }
      const message = `MountVolume.SetUp failed for volume "${v.name}" : ${r.error ?? ''}`;
      if (r.error !== undefined) {
        if (!have) return { error: message, volume: v.name };
        warnings.push(message);
        continue;
      }
      state.volumes.set(v.name, { path: r.path, readOnly: r.readOnly });
    }
    if (due) state.refreshedAt = now;
    return { volumes: state.volumes, warnings };
  }

  /** tearDown unmounts and removes everything of a pod's volumes and files (node paths used in place are left alone). */
  async tearDown(uid: string): Promise<void> {
    this.#pods.delete(uid);
    this.#tokens.forget(uid);
    if (uid === '') return;
    for (const dir of new Set([this.podDir(uid), this.volatilePodDir(uid)])) {
      if (!existsSync(dir)) continue;
      // Mount points are found by stat (mounter.ts), not by reading the host's mount table; again only to check unmounts.
      const mounted = this.#mounter.mountsUnder(dir);
      for (const m of mounted) await this.#mounter.unmount(m);
      // Nothing is mounted below any more, so removal cannot reach outside the pod's directory (rm does not
      // follow symlinks).
      if (mounted.length > 0 && this.#mounter.mountsUnder(dir).length > 0) throw new Error(`Cannot remove volumes of pod ${uid}: still mounted under ${dir}`);
      // On the thread pool: a recursive delete on the event loop stalled every other pod's work (profiled).
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** tearDownOrphans removes the volumes and files of pods not in `active` (pods deleted while the kubelet was down). */
  async tearDownOrphans(active: ReadonlySet<string>): Promise<void> {
    const found = new Set<string>();
    for (const base of [this.#c.rootDir, ...(this.#volatile !== undefined ? [this.#volatile] : [])]) {
      const root = join(base, 'pods');
      if (!existsSync(root)) continue;
      // Pod directories are named by UID alone; the log dirs beside them (`<ns>_<name>_<uid>`) are not ours.
      for (const e of readdirSync(root)) if (!e.includes('_') && !active.has(e)) found.add(e);
    }
    for (const uid of found) await this.tearDown(uid);
  }
}
