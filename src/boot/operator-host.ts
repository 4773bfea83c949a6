/**
 * OperatorHost runs operator modules (src/sdk/operator-module.ts) in this process: each file gets its own
 * Manager over the given API client; setup(manager) builds its controllers and the manager starts. When the file
 * changes on disk the module is imported afresh (TypeScript through tsx's tsImport, which loads a new copy each
 * time; JavaScript with a cache-busting query), the old manager is stopped and a new one set up and started.
 *
 * Failure contract: a module that cannot be imported or set up costs one error log line and nothing else — the
 * server keeps running, and a failed reload leaves the previous version running (it is stopped only once the new
 * code imported cleanly).
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../base/log/logger.js';
import type { RestClient } from '../client/rest-client.js';
import type { LeaderGate } from '../sdk/leader-gate.js';
import { Manager } from '../sdk/manager.js';
import { operatorNameOf, setupOf } from '../sdk/operator-module.js';

/** OperatorHostConfig constructs an OperatorHost. */
export interface OperatorHostConfig {
  /** Operator files (.ts, .mts, .js, .mjs). */
  readonly paths: readonly string[];
  /** The API client every operator's manager uses (not closed by the host). */
  readonly rest: RestClient;
  readonly log: Logger;
  /** Reload a module when its file changes. @default true */
  readonly watch?: boolean;
  /** Makes each operator's leader gate, given the operator's name. @default always leader */
  readonly leaderGate?: (operatorName: string) => LeaderGate;
  /** Wait between a file change and the reload (editors write in several steps). @default 150 */
  readonly reloadDelayMs?: number;
  /** How long `start` waits for the first loads (a setup may wait on the API); later ones finish in the background. @default 10000 */
  readonly startWaitMs?: number;
}

/** OperatorStatus tells how one operator file is doing. */
export interface OperatorStatus {
  readonly path: string;
  /** How many times the module was imported successfully (1 after the first load). */
  readonly loads: number;
  readonly running: boolean;
  /** The last load error, if the last attempt failed. */
  readonly lastError?: string;
}

interface Slot {
  readonly path: string;
  manager: Manager | undefined;
  loads: number;
  attempts: number;
  lastError: string | undefined;
  chain: Promise<void>;
  timer: NodeJS.Timeout | undefined;
  watcher: FSWatcher | undefined;
}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** oneLine squeezes an error into one log line (esbuild's messages span several). */
function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s*\n\s*/g, ' ').slice(0, 500);
}

/** importOperator loads a fresh copy of an operator module. */
async function importOperator(path: string, attempt: number): Promise<unknown> {
  if (TYPESCRIPT.has(extname(path))) {
    let api: { tsImport: (specifier: string, parent: string) => Promise<unknown> };
    try {
      api = (await import('tsx/esm/api')) as typeof api;
    } catch {
      throw new Error('loading a TypeScript operator needs the tsx package; install it or compile the operator to JavaScript');
    }
    return api.tsImport(path, import.meta.url);
  }
  const url = pathToFileURL(path);
  url.search = `?load=${attempt}`;
  return import(url.href);
}

/** OperatorHost loads, runs and reloads operator modules. */
export class OperatorHost {
  readonly #config: OperatorHostConfig;
  readonly #slots: Slot[];
  #stopped = false;

  constructor(config: OperatorHostConfig) {
    this.#config = config;
    this.#slots = config.paths.map((p) => ({
      path: resolve(p),
      manager: undefined,
      loads: 0,
      attempts: 0,
      lastError: undefined,
      chain: Promise.resolve(),
      timer: undefined,
      watcher: undefined,
    }));
  }

  /**
   * start loads every operator (failures are logged) and starts watching their files. It resolves once every
   * first load finished, or after `startWaitMs`, whichever comes first: a setup that waits long (for a CRD the
   * API is slow to serve) must not hold up the server's start.
   */
  async start(): Promise<void> {
    const loads = this.#slots.map((slot) => {
      if (this.#config.watch ?? true) this.#watch(slot);
      return this.#enqueueLoad(slot);
    });
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      Promise.all(loads).then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.#config.startWaitMs ?? 10_000))),
    ]);
    clearTimeout(timer);
    if (!waited) this.#config.log.warn('Operators still loading; continuing without waiting', { paths: this.#slots.filter((s) => s.loads === 0).map((s) => s.path).join(',') });
  }

  /** status reports each operator file's state. */
  status(): OperatorStatus[] {
    return this.#slots.map((s) => ({ path: s.path, loads: s.loads, running: s.manager !== undefined, ...(s.lastError ? { lastError: s.lastError } : {}) }));
  }

  /** reload loads `path` (or every operator) again now, as a file change would. */
  async reload(path?: string): Promise<void> {
    for (const slot of this.#slots) if (path === undefined || slot.path === resolve(path)) await this.#enqueueLoad(slot);
  }

  /** stop stops watching and every operator's manager; resolves once they stopped. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const slot of this.#slots) {
      slot.watcher?.close();
      if (slot.timer) clearTimeout(slot.timer);
    }
    await Promise.all(
      this.#slots.map(async (slot) => {
        await slot.chain;
        await slot.manager?.stop();
        slot.manager = undefined;
      }),
    );
  }

  #watch(slot: Slot): void {
    const file = basename(slot.path);
    try {
      // The directory, not the file: editors and `cp` may replace the file, which ends a watch on it.
      slot.watcher = watch(dirname(slot.path), { persistent: false }, (_event, name) => {
        if (name !== null && name.toString() !== file) return;
        if (slot.timer) clearTimeout(slot.timer);
        slot.timer = setTimeout(() => {
          slot.timer = undefined;
          void this.#enqueueLoad(slot);
        }, this.#config.reloadDelayMs ?? 150);
      });
      slot.watcher.on('error', (err) => this.#config.log.warn('Cannot watch operator file; changes will not be reloaded', { path: slot.path, error: oneLine(err) }));
    } catch (err) {
      this.#config.log.warn('Cannot watch operator file; changes will not be reloaded', { path: slot.path, error: oneLine(err) });
    }
  }

  /** #enqueueLoad serializes loads of one file: a change during a load reloads after it. */
  #enqueueLoad(slot: Slot): Promise<void> {
    slot.chain = slot.chain.then(() => this.#load(slot));
    return slot.chain;
  }

  async #load(slot: Slot): Promise<void> {
    if (this.#stopped) return;
    const log = this.#config.log;
    const attempt = ++slot.attempts;
    let mod: unknown;
    try {
      mod = await importOperator(slot.path, attempt);
    } catch (err) {
      slot.lastError = oneLine(err);
      log.error('Cannot load operator', { path: slot.path, error: slot.lastError, ...(slot.manager ? { keeping: 'the previous version' } : {}) });
      return;
    }
    const setup = setupOf(mod);
    if (!setup) {
      slot.lastError = 'the module exports no setup function (export function setup(manager) { … })';
      log.error('Cannot load operator', { path: slot.path, error: slot.lastError });
      return;
    }
    if (this.#stopped) return;
    if (slot.manager) {
      await slot.manager.stop();
      slot.manager = undefined;
    }
    const name = operatorNameOf(mod) ?? basename(slot.path, extname(slot.path));
    const manager = new Manager({
      rest: this.#config.rest,
      name,
      log: log.child(name),
      ...(this.#config.leaderGate ? { leaderGate: this.#config.leaderGate(name) } : {}),
    });
    try {
      await setup(manager);
    } catch (err) {
      slot.lastError = oneLine(err);
      log.error('Cannot set up operator', { path: slot.path, error: slot.lastError });
      await manager.stop();
      return;
    }
    slot.manager = manager;
    slot.loads++;
    slot.lastError = undefined;
    log.info(slot.loads === 1 ? 'Operator loaded' : 'Operator reloaded', { path: slot.path, name, loads: slot.loads });
    // Not awaited: start waits for the caches, which may take a while (or forever, if the operator watches a kind
    // that is not served); stop() ends that wait.
    manager.start().catch((err: unknown) => log.error('Cannot start operator', { path: slot.path, error: oneLine(err) }));
  }
}
