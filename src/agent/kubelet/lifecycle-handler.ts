/**
 * LifecycleHandlerRunner runs a container's postStart and preStop hooks (exec, httpGet, sleep) through the
 * Prober's exec and HTTP machinery. A hook's outcome is a value: undefined when it succeeded, else the message the
 * kubelet puts in the `FailedPostStartHook` / `FailedPreStopHook` event, worded as upstream's
 * (`Exec lifecycle hook ([cmd]) for Container "c" in Pod "p_ns(uid)" failed - error: ..., message: "..."`).
 * tcpSocket hooks are accepted and do nothing, as upstream (the field is deprecated and never implemented).
 */
import type { Clock } from '../../base/clock/clock.js';
import type { ProbeTarget } from '../prober/prober.js';
import type { ProbeRunner } from '../prober/probe-manager.js';
import type { LifecycleHandler } from '../prober/probe-spec.js';

/** HookContext names the container a hook runs for, for messages. */
export interface HookContext {
  readonly container: string;
  /** `<name>_<namespace>(<uid>)` as upstream formats a pod. */
  readonly pod: string;
}

/** LifecycleHandlerRunner: see the file comment. */
export class LifecycleHandlerRunner {
  readonly #prober: ProbeRunner;
  readonly #clock: Clock;

  constructor(config: { prober: ProbeRunner; clock: Clock }) {
    this.#prober = config.prober;
    this.#clock = config.clock;
  }

  /** run runs the hook; timeoutMs bounds it (0 = unbounded). Resolves undefined on success, else why it failed. */
  async run(handler: LifecycleHandler, target: ProbeTarget, ctx: HookContext, timeoutMs: number): Promise<string | undefined> {
    const who = `for Container ${JSON.stringify(ctx.container)} in Pod ${JSON.stringify(ctx.pod)}`;
    if (handler.exec) {
      const cmd = handler.exec.command ?? [];
      const o = await this.#prober.check({ exec: { command: cmd } }, target, timeoutMs);
      if (o.result === 'success') return undefined;
      return `Exec lifecycle hook ([${cmd.join(' ')}]) ${who} failed - error: command '${cmd.join(' ')}' failed, message: ${JSON.stringify(o.message)}`;
    }
    if (handler.httpGet) {
      const o = await this.#prober.check({ httpGet: handler.httpGet }, target, timeoutMs);
      if (o.result === 'success') return undefined;
      return `HTTP lifecycle hook (${handler.httpGet.path ?? ''}) ${who} failed - error: ${o.message}, message: ""`;
    }
    if (handler.sleep) {
      const ms = Math.max(0, handler.sleep.seconds * 1000);
      await this.#clock.sleep(timeoutMs > 0 ? Math.min(ms, timeoutMs) : ms);
      return undefined;
    }
    return undefined;
  }
}
