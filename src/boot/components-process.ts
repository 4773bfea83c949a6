/**
 * ComponentsProcess: `tkube server --components-process separate` — the controller manager, the scheduler and the
 * simulated nodes in ONE child process, so they run on another core than the API server's single thread.
 *
 * The contract with the child (components-child.ts, the hidden `tkube server-components` command):
 *  - the child is forked with an IPC channel; its whole configuration — the loopback socket, this boot's loopback
 *    token, the CA's signing key for csrsigning — travels as the first message on that channel, never in argv or a
 *    file;
 *  - the child answers `ready` once its components run (or `failed` with one line), and stops on `stop`;
 *  - the child exits when the channel closes, which is also what happens when this process dies, SIGKILL included:
 *    no child outlives its server;
 *  - a child that exits while the server runs is started again after a backoff (1 s doubling to 30 s; back to 1 s
 *    once a child lived a minute), and keeps its Lease identity, so it resumes leading at once.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { RealClock, type Clock, type Timer } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { Backoff } from '../base/wait/backoff.js';
import type { ComponentsConfig } from './components.js';

/** ParentMessage is what the server sends its child. */
export type ParentMessage = { readonly kind: 'start'; readonly config: ComponentsConfig } | { readonly kind: 'stop' } | { readonly kind: 'metrics'; readonly id: number };

/** ChildMessage is what the child reports. */
export type ChildMessage = { readonly kind: 'ready' } | { readonly kind: 'failed'; readonly message: string } | { readonly kind: 'metrics'; readonly id: number; readonly text: string };

/** METRICS_TIMEOUT_MS: a child that does not answer a scrape in this time leaves its families out of that scrape. */
const METRICS_TIMEOUT_MS = 2_000;

/** ComponentsProcessOptions configure the supervisor. */
export interface ComponentsProcessOptions {
  readonly config: ComponentsConfig;
  /** The tkube program to fork (the CLI's entry or its bundle). @default process.argv[1] */
  readonly entry?: string;
  /** Node flags for the child. @default process.execArgv (e.g. tsx's loader) */
  readonly execArgv?: readonly string[];
  readonly log: Logger;
  readonly clock?: Clock;
  /** How long start() waits for the first child's `ready`. @default 120 s */
  readonly readyTimeoutMs?: number;
  /** How long stop() waits for the child to stop its components before killing it. @default 15 s */
  readonly stopTimeoutMs?: number;
}

/** COMPONENTS_CHILD_ENV marks the forked child: an IPC channel alone could be anyone's (a test runner's, say). */
export const COMPONENTS_CHILD_ENV = 'TKUBE_COMPONENTS_CHILD';

/** STABLE_MS: a child that lived this long is no longer crash-looping; the next restart waits the shortest delay. */
const STABLE_MS = 60_000;

/** ComponentsProcess runs and supervises the child. */
export class ComponentsProcess {
  readonly #o: ComponentsProcessOptions;
  readonly #clock: Clock;
  readonly #backoff = new Backoff({ initialMs: 1_000, maxMs: 30_000, jitter: 0.2 });
  #child: ChildProcess | undefined;
  #startedAt = 0;
  #restartTimer: Timer | undefined;
  #stopping = false;
  /** How many children were started (the first one included). */
  #starts = 0;
  #metricsRequests = 0;

  constructor(options: ComponentsProcessOptions) {
    this.#o = options;
    this.#clock = options.clock ?? new RealClock();
  }

  /** pid of the running child, if any (tests and benchmarks read its RSS or kill it). */
  get pid(): number | undefined {
    const child = this.#child;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /** starts counts the children started so far. */
  get starts(): number {
    return this.#starts;
  }

  /**
   * start forks the first child and resolves once it reports its components running. A child that fails to start
   * (bad `--controllers`, say) fails the server's start with its message, as the in-process components would.
   */
  async start(): Promise<void> {
    const child = this.#spawn();
    await new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimer(this.#o.readyTimeoutMs ?? 120_000, () => done(new Error('Cannot start the components process: it did not report ready in time')));
      const onMessage = (m: ChildMessage): void => {
        if (m.kind === 'ready') done();
        else if (m.kind === 'failed') done(new Error(m.message));
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => done(new Error(`Cannot start the components process: it exited (${signal ?? `code ${code ?? '?'}`}) before it was ready`));
      const done = (err?: Error): void => {
        timer.cancel();
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve();
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
    }).catch(async (err: unknown) => {
      await this.stop();
      throw err;
    });
  }

  /**
   * metrics asks the child for its controllers' and scheduler's families (the server's /metrics appends them, as
   * it appends the in-process ones); "" when no child runs or it does not answer in time.
   */
  metrics(): Promise<string> {
    const child = this.#child;
    if (!child?.connected || this.pid === undefined) return Promise.resolve('');
    const id = ++this.#metricsRequests;
    return new Promise((resolve) => {
      const done = (text: string): void => {
        timer.cancel();
        child.off('message', onMessage);
        resolve(text);
      };
      const onMessage = (m: ChildMessage): void => {
        if (m.kind === 'metrics' && m.id === id) done(m.text);
      };
      const timer = this.#clock.setTimer(METRICS_TIMEOUT_MS, () => done(''));
      child.on('message', onMessage);
      child.send({ kind: 'metrics', id } satisfies ParentMessage);
    });
  }

  /** stop asks the child to stop its components (releasing their Leases), and kills it if it does not exit in time. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#restartTimer?.cancel();
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ kind: 'stop' } satisfies ParentMessage);
    else child.kill('SIGTERM');
    const timer = this.#clock.setTimer(this.#o.stopTimeoutMs ?? 15_000, () => {
      this.#o.log.warn('The components process did not stop in time: killing it', { pid: child.pid });
      child.kill('SIGKILL');
    });
    await exited;
    timer.cancel();
  }

  #spawn(): ChildProcess {
    this.#starts++;
    const entry = this.#o.entry ?? process.argv[1];
    if (!entry) throw new Error('Cannot start the components process: this process has no program path to fork');
    // stdout/stderr are the server's: the child's log lines land in the server's log, named by component.
    const child = fork(entry, ['server-components'], { execArgv: [...(this.#o.execArgv ?? process.execArgv)], stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, [COMPONENTS_CHILD_ENV]: '1' } });
    this.#child = child;
    this.#startedAt = this.#clock.now();
    child.on('error', (err) => this.#o.log.error('Components process error', { err: err.message }));
    child.on('exit', (code, signal) => this.#exited(child, code, signal));
    child.send({ kind: 'start', config: this.#o.config } satisfies ParentMessage);
    this.#o.log.info('Started the components process', { pid: child.pid, start: this.#starts });
    return child;
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child || this.#stopping) return;
    if (this.#clock.now() - this.#startedAt >= STABLE_MS) this.#backoff.reset();
    const delayMs = Math.round(this.#backoff.next());
    this.#o.log.warn('The components process exited: starting it again', { pid: child.pid, code, signal, delayMs });
    this.#restartTimer = this.#clock.setTimer(delayMs, () => {
      if (this.#stopping) return;
      const next = this.#spawn();
      next.on('message', (m: ChildMessage) => {
        if (m.kind === 'failed') this.#o.log.error('The components process cannot start', { err: m.message });
      });
    });
  }
}
