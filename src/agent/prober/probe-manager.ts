/**
 * ProbeManager keeps one worker per (container instance, probe type) and holds the latest results, which the
 * kubelet reads when it writes status (`ready`, `started`) and acts on (kill on liveness/startup failure).
 *
 * A worker, driven by the injected Clock:
 *  - first probes `initialDelaySeconds` after the container started, then every `periodSeconds` (measured from
 *    the start of the previous check);
 *  - liveness and readiness wait until the container has started (its startupProbe succeeded), and the startup
 *    worker stops once it has;
 *  - a result flips only after `successThreshold` consecutive successes or `failureThreshold` consecutive
 *    failures; every failed check is reported (`Unhealthy` events), a flip is reported through onChange;
 *  - a liveness or startup result flipping to failure asks for the container to be killed (onKill) and the worker
 *    holds until a new container instance (a new ID) replaces it, as upstream's does.
 * Initial results: liveness success, readiness failure, startup failure (not yet started).
 */
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { PodEndpoint } from './pod-dialer.js';
import type { ProbeTarget } from './prober.js';
import type { NamedPort, ProbeHandler, ProbeOutcome, ProbeSpec, ProbeType } from './probe-spec.js';

/** ProbedContainer is one running container instance and its probes. */
export interface ProbedContainer {
  readonly podKey: string;
  readonly podUID: string;
  readonly name: string;
  readonly containerId: string;
  /** When the instance started (ms since the epoch). */
  readonly startedAt: number;
  readonly endpoint: PodEndpoint;
  readonly ports?: readonly NamedPort[];
  readonly livenessProbe?: ProbeSpec;
  readonly readinessProbe?: ProbeSpec;
  readonly startupProbe?: ProbeSpec;
}

/** ProbeRunner is what the manager needs of a Prober. */
export interface ProbeRunner {
  check(handler: ProbeHandler, target: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome>;
}

/** ProbeManagerConfig wires the manager to the kubelet. */
export interface ProbeManagerConfig {
  readonly prober: ProbeRunner;
  readonly clock: Clock;
  /** A result flipped (readiness, startup, liveness): the pod should be synced again. */
  readonly onChange: (podKey: string) => void;
  /** A check failed (each time, whatever the threshold). */
  readonly onUnhealthy: (c: ProbedContainer, type: ProbeType, message: string) => void;
  /** Liveness or startup failed failureThreshold times in a row: the instance must be killed. */
  readonly onKill: (c: ProbedContainer, type: 'Liveness' | 'Startup', message: string) => void;
}

class Worker {
  result: boolean;
  #run = 0;
  #last: boolean | undefined;
  #timer: Timer | undefined;
  #stopped = false;
  #onHold = false;

  constructor(
    readonly type: ProbeType,
    readonly container: ProbedContainer,
    readonly spec: ProbeSpec,
    readonly manager: ProbeManager,
    readonly config: ProbeManagerConfig,
  ) {
    this.result = type === 'Liveness';
    const due = container.startedAt + (spec.initialDelaySeconds ?? 0) * 1000 - config.clock.now();
    this.#schedule(Math.max(0, due));
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.config.clock.setTimer(ms, () => void this.#tick());
  }

  async #tick(): Promise<void> {
    const started = this.config.clock.now();
    const periodMs = Math.max(1, this.spec.periodSeconds ?? 10) * 1000;
    try {
      await this.#probe();
    } finally {
      if (!this.#stopped) this.#schedule(Math.max(0, started + periodMs - this.config.clock.now()));
    }
  }

  async #probe(): Promise<void> {
    const c = this.container;
    if (this.#onHold) return;
    if (this.type === 'Startup' && this.result) {
      this.stop();
      return;
    }
    if (this.type !== 'Startup' && !this.manager.isStarted(c.podUID, c.name, c.containerId)) return;
    let outcome: ProbeOutcome;
    try {
      outcome = await this.config.prober.check(this.spec, { containerId: c.containerId, endpoint: c.endpoint, ...(c.ports ? { ports: c.ports } : {}) }, Math.max(1, this.spec.timeoutSeconds ?? 1) * 1000);
    } catch (err) {
      // A runner should answer with a value; one that throws counts as a failed check, not a dead worker.
      outcome = { result: 'failure', message: err instanceof Error ? err.message : String(err) };
    }
    if (this.#stopped) return;
    const ok = outcome.result === 'success';
    if (!ok) this.config.onUnhealthy(c, this.type, outcome.message);
    this.#run = this.#last === ok ? this.#run + 1 : 1;
    this.#last = ok;
    // Liveness and startup always use a success threshold of 1 (API validation insists on it).
    const successThreshold = this.type === 'Readiness' ? Math.max(1, this.spec.successThreshold ?? 1) : 1;
    const failureThreshold = Math.max(1, this.spec.failureThreshold ?? 3);
    if (ok && this.#run < successThreshold) return;
    if (!ok && this.#run < failureThreshold) return;
    const changed = this.result !== ok;
    this.result = ok;
    if (!ok && this.type !== 'Readiness') {
      // The instance is going to be killed; nothing to learn from it until a new one replaces it.
      this.#onHold = true;
      this.#run = 0;
      this.config.onKill(c, this.type, outcome.message);
    }
    if (changed) this.config.onChange(c.podKey);
  }
}

/** ProbeManager: see the file comment. */
export class ProbeManager {
  readonly #config: ProbeManagerConfig;
  /** Workers by `<podUID>/<container name>`. */
  readonly #workers = new Map<string, { containerId: string; workers: Worker[] }>();

  constructor(config: ProbeManagerConfig) {
    this.#config = config;
  }

  /** update makes sure the running instance has its workers (a new instance replaces the old one's). */
  update(c: ProbedContainer): void {
    const key = `${c.podUID}/${c.name}`;
    const existing = this.#workers.get(key);
    if (existing?.containerId === c.containerId) return;
    for (const w of existing?.workers ?? []) w.stop();
    const entry = { containerId: c.containerId, workers: [] as Worker[] };
    this.#workers.set(key, entry);
    // Startup first: the others read its result.
    if (c.startupProbe) entry.workers.push(new Worker('Startup', c, c.startupProbe, this, this.#config));
    if (c.livenessProbe) entry.workers.push(new Worker('Liveness', c, c.livenessProbe, this, this.#config));
    if (c.readinessProbe) entry.workers.push(new Worker('Readiness', c, c.readinessProbe, this, this.#config));
  }

  /** removeContainer stops the workers of a container that is no longer running. */
  removeContainer(podUID: string, name: string): void {
    const key = `${podUID}/${name}`;
    for (const w of this.#workers.get(key)?.workers ?? []) w.stop();
    this.#workers.delete(key);
  }

  /** removePod stops every worker of the pod. */
  removePod(podUID: string): void {
    for (const key of [...this.#workers.keys()]) if (key.startsWith(`${podUID}/`)) this.removeContainer(podUID, key.slice(podUID.length + 1));
  }

  #result(podUID: string, name: string, containerId: string, type: ProbeType): boolean | undefined {
    const entry = this.#workers.get(`${podUID}/${name}`);
    if (!entry || entry.containerId !== containerId) return undefined;
    return entry.workers.find((w) => w.type === type)?.result;
  }

  /** isStarted: the startupProbe succeeded, or there is none. Unknown instances count as not started. */
  isStarted(podUID: string, name: string, containerId: string): boolean {
    const entry = this.#workers.get(`${podUID}/${name}`);
    if (!entry || entry.containerId !== containerId) return false;
    return this.#result(podUID, name, containerId, 'Startup') ?? true;
  }

  /** isReady: started and the readinessProbe's result is success (or there is none). */
  isReady(podUID: string, name: string, containerId: string): boolean {
    if (!this.isStarted(podUID, name, containerId)) return false;
    return this.#result(podUID, name, containerId, 'Readiness') ?? true;
  }

  /** stop ends every worker. */
  stop(): void {
    for (const entry of this.#workers.values()) for (const w of entry.workers) w.stop();
    this.#workers.clear();
  }
}
