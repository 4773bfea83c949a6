/**
 * ContainerExitWatcher: the part of upstream's PLEG (pod lifecycle event generator) this kubelet needs. Once a
 * period it lists the node's exited containers, in one runtime call, and names the pods with a container that
 * exited since the last look, so the kubelet syncs those pods and not every pod every second.
 *
 * Only exits are reported: containers are created, started, killed and removed by the kubelet's own syncs, which
 * look at the pod again afterwards anyway; an exit is the one change that happens on its own. The first look only
 * learns what has exited already (a starting kubelet syncs every pod anyway).
 */
import type { Clock, Timer } from '../../base/clock/clock.js';
import type { Logger } from '../../base/log/logger.js';
import type { RuntimeService } from '../cri/runtime-service.js';

const POD_NAME_LABEL = 'io.kubernetes.pod.name';
const POD_NAMESPACE_LABEL = 'io.kubernetes.pod.namespace';

/** ContainerExitWatcherConfig constructs a ContainerExitWatcher. */
export interface ContainerExitWatcherConfig {
  readonly runtime: Pick<RuntimeService, 'listContainers'>;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often to look (upstream's PLEG relists every second). */
  readonly periodMs: number;
  /** Called with the pod's `<namespace>/<name>` key for each pod with a new exit. */
  readonly onExit: (podKey: string) => void;
}

/** ContainerExitWatcher: see the file comment. */
export class ContainerExitWatcher {
  readonly #c: ContainerExitWatcherConfig;
  /** Exited containers at the last look; undefined before the first. */
  #exited: Set<string> | undefined;
  #timer: Timer | undefined;
  #stopped = false;

  constructor(config: ContainerExitWatcherConfig) {
    this.#c = config;
  }

  /** start looks now and then every period until stop. */
  start(): void {
    const tick = (): void => {
      void this.relist()
        .catch((err: unknown) => this.#c.log.warn('Cannot list exited containers', { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => {
          if (!this.#stopped) this.#timer = this.#c.clock.setTimer(this.#c.periodMs, tick);
        });
    };
    tick();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** relist looks once: pods with a container that exited since the last look are reported. */
  async relist(): Promise<void> {
    const exited = await this.#c.runtime.listContainers({ state: 'CONTAINER_EXITED' });
    const before = this.#exited;
    const now = new Set<string>();
    const pods = new Set<string>();
    for (const c of exited) {
      now.add(c.id);
      if (before && !before.has(c.id)) pods.add(`${c.labels[POD_NAMESPACE_LABEL] ?? ''}/${c.labels[POD_NAME_LABEL] ?? ''}`);
    }
    this.#exited = now;
    if (this.#stopped) return;
    for (const key of pods) if (key !== '/') this.#c.onExit(key);
  }
}
