/**
 * ConnectionThrottle: priority and fairness applied at the socket. A connection whose request was just refused (its
 * flow's queue full, or no seat within the queue wait) is not read for a while: a client that ignores Retry-After and
 * sends again at once then waits in the kernel's buffers, costing the server no TLS decryption, parsing,
 * authentication, audit record or 429 of its own, where otherwise every refusal would be followed by another one as
 * fast as the one event loop can turn them out. A client honouring Retry-After sends nothing during the pause anyway.
 *
 * A held connection is read again, oldest first, when its flow has room: a request of that flow left its queue
 * (granted a seat or timed out) and the queue is at most half full, or a seat of its level came free with nobody
 * waiting (PriorityAndFairnessConfig.onRoom decides when). A connection woken early that is refused again anyway
 * (the flow's busy connections took the room first) is not woken early again until one of its requests is admitted:
 * otherwise a fast flood's surplus connections would cycle through wake and refusal many times a second. At the
 * latest a held connection is read again after maxPauseMs, so the request that waited still gets its answer — a seat
 * or a 429 — within about a second of being sent (maxPauseMs, plus the queue wait if it queues and times out).
 *
 * Keyed by the level and flow (user) of the refused request: the connection's last-seen flow. A connection used by
 * several users is throttled for the one it was refused for, which is what a flood on it looks like.
 *
 * Bounded: a flow holds at most maxHeldPerFlow connections. Past that, canHold says no and the server answers the
 * refusal with `Connection: close` instead (server.ts), so a client opening ever more connections cannot make the
 * server keep ever more paused sockets, timers and kernel buffers; it pays a TLS handshake per extra attempt instead.
 */
import type { Clock, Timer } from '../../base/clock/clock.js';

/**
 * DEFAULT_MAX_PAUSE_MS bounds a hold: with the queue wait (500 ms) it keeps a held request's answer within about a
 * second, and it paces a flood that ignores Retry-After to at most 2.5 refusals per connection per second. Longer
 * holds (700 ms, jittered: a tarpit nearer the 1 s Retry-After) cut that flood's refusals by a third but did not
 * improve another user's p99 on the shared machine (docs/reliability.md §7), so the default stays until measured quiet.
 */
export const DEFAULT_MAX_PAUSE_MS = 400;

/**
 * DEFAULT_MAX_HELD_PER_FLOW bounds the connections one flow may have held at once: well above what a client library
 * opens (client-go over HTTP/1.1 keeps a few per host; the overload suite's flood uses 48), far below a file-descriptor
 * limit.
 */
export const DEFAULT_MAX_HELD_PER_FLOW = 64;

/** ThrottledConnection is the part of a socket the throttle uses (net.Socket and tls.TLSSocket have it). */
export interface ThrottledConnection {
  readonly destroyed: boolean;
  pause(): unknown;
  resume(): unknown;
  once(event: 'close', listener: () => void): unknown;
  removeListener(event: 'close', listener: () => void): unknown;
}

/** ConnectionThrottleConfig sets the longest pause. */
export interface ConnectionThrottleConfig {
  readonly clock: Clock;
  /** Longest time a held connection stays unread. @default DEFAULT_MAX_PAUSE_MS */
  readonly maxPauseMs?: number;
  /** Connections one flow (level and user) may have held at once. @default DEFAULT_MAX_HELD_PER_FLOW */
  readonly maxHeldPerFlow?: number;
  /**
   * Fraction of maxPauseMs by which a hold may be shorter, at random: each hold lasts maxPauseMs × (1 − jitter ×
   * random()). A flood's connections are refused in bursts (all of them at its start), and with one fixed pause they
   * would come back in the same bursts forever, each a run of refusals that another user's request waits behind; the
   * jitter spreads them out. @default DEFAULT_PAUSE_JITTER
   */
  readonly jitter?: number;
  /** Source of the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/**
 * DEFAULT_PAUSE_JITTER: a hold lasts 200–400 ms. In two quiet side-by-side pairs against a flood that ignores
 * Retry-After (docs/reliability.md §7, session 12), another user's pooled loaded p99 was 4.70 and 4.59 ms with it
 * against 5.67 and 5.30 with every hold at 400 ms; the flood got more refusals (~115 against ~95 a second).
 */
export const DEFAULT_PAUSE_JITTER = 0.5;

interface Held {
  readonly conn: ThrottledConnection;
  /** Whether wakeFlow / wakeLevel may pick it (see the file comment). */
  readonly early: boolean;
  readonly timer: Timer;
  readonly onClose: () => void;
}

/** ConnectionThrottle holds refused flows' connections unread until their flow has room. */
export class ConnectionThrottle {
  readonly #config: ConnectionThrottleConfig;
  /** Held connections by level, then flow; Map order is the order flows are woken in by wakeLevel. */
  readonly #held = new Map<string, Map<string, Held[]>>();
  readonly #holding = new WeakSet<ThrottledConnection>();
  /** Connections read again by wakeFlow / wakeLevel whose next request was not yet admitted or refused. */
  readonly #wokenEarly = new WeakSet<ThrottledConnection>();
  /** Connections refused again right after an early wake: held the full pause until a request of theirs is admitted. */
  readonly #noEarlyWake = new WeakSet<ThrottledConnection>();

  constructor(config: ConnectionThrottleConfig) {
    this.#config = config;
  }

  /**
   * canHold tells whether `flow` in `level` may have one more connection held (fewer than maxHeldPerFlow are). The
   * server asks before it writes the refusal: a connection that cannot be held is closed with its 429.
   */
  canHold(level: string, flow: string): boolean {
    return (this.#held.get(level)?.get(flow)?.length ?? 0) < (this.#config.maxHeldPerFlow ?? DEFAULT_MAX_HELD_PER_FLOW);
  }

  /**
   * hold stops reading `conn` until wakeFlow / wakeLevel picks it, or maxPauseMs passes. Idempotent per connection;
   * does nothing when the flow already holds maxHeldPerFlow connections (see canHold).
   */
  hold(conn: ThrottledConnection, level: string, flow: string): void {
    if (conn.destroyed || this.#holding.has(conn) || !this.canHold(level, flow)) return;
    const flows = this.#held.get(level) ?? new Map<string, Held[]>();
    this.#held.set(level, flows);
    const list = flows.get(flow) ?? [];
    flows.set(flow, list);
    if (this.#wokenEarly.delete(conn)) this.#noEarlyWake.add(conn);
    const held: Held = {
      conn,
      early: !this.#noEarlyWake.has(conn),
      timer: this.#config.clock.setTimer(this.#pauseMs(), () => this.#release(level, flow, held)),
      // A client that gives up while held: forget it (its socket is gone, nothing to resume).
      onClose: () => this.#release(level, flow, held),
    };
    list.push(held);
    this.#holding.add(conn);
    conn.once('close', held.onClose);
    conn.pause();
  }

  /** admitted says a request on `conn` got a seat: the connection may be woken early again after a refusal. */
  admitted(conn: ThrottledConnection): void {
    this.#wokenEarly.delete(conn);
    this.#noEarlyWake.delete(conn);
  }

  /** wakeFlow reads again the oldest held connection of `flow` in `level` (a request of that flow left its queue). */
  wakeFlow(level: string, flow: string): void {
    const held = this.#held.get(level)?.get(flow)?.find((h) => h.early);
    if (held) this.#wake(level, flow, held);
  }

  /**
   * wakeLevel reads again the oldest held connection of the flow held longest in `level` (a seat came free with nobody
   * waiting); that flow then goes to the back, so free seats wake the level's flows in turn.
   */
  wakeLevel(level: string): void {
    const flows = this.#held.get(level);
    if (!flows) return;
    let flow: string | undefined;
    let held: Held | undefined;
    for (const [f, list] of flows) {
      held = list.find((h) => h.early);
      if (held) {
        flow = f;
        break;
      }
    }
    if (flow === undefined || !held) return;
    this.#wake(level, flow, held);
    // Rotate the flow to the back if it still holds connections.
    const rest = flows.get(flow);
    if (rest) {
      flows.delete(flow);
      flows.set(flow, rest);
    }
  }

  /** releaseAll reads every held connection again (the server is stopping). */
  releaseAll(): void {
    for (const [level, flows] of [...this.#held]) for (const [flow, list] of [...flows]) for (const held of [...list]) this.#release(level, flow, held);
  }

  /** heldCount tells how many connections are held (for tests and metrics). */
  heldCount(): number {
    let n = 0;
    for (const flows of this.#held.values()) for (const list of flows.values()) n += list.length;
    return n;
  }

  /** #pauseMs is one hold's length: maxPauseMs, less a random part of it (see ConnectionThrottleConfig.jitter). */
  #pauseMs(): number {
    const max = this.#config.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS;
    const jitter = Math.min(1, Math.max(0, this.#config.jitter ?? DEFAULT_PAUSE_JITTER));
    return max * (1 - jitter * (this.#config.random ?? Math.random)());
  }

  #wake(level: string, flow: string, held: Held): void {
    this.#wokenEarly.add(held.conn);
    this.#release(level, flow, held);
  }

  #release(level: string, flow: string, held: Held): void {
    const flows = this.#held.get(level);
    const list = flows?.get(flow);
    const at = list?.indexOf(held) ?? -1;
    if (!flows || !list || at < 0) return;
    list.splice(at, 1);
    if (list.length === 0) flows.delete(flow);
    if (flows.size === 0) this.#held.delete(level);
    held.timer.cancel();
    held.conn.removeListener('close', held.onClose);
    this.#holding.delete(held.conn);
    if (!held.conn.destroyed) held.conn.resume();
  }
}
