/**
 * EndpointChooser: which endpoint a new connection (or UDP session) of the userspace proxy tries first, and which
 * next when that one cannot be reached. Round robin over the current endpoints; with sessionAffinity ClientIP, a
 * client that connected within the affinity time goes back to the endpoint it used last (as long as that endpoint
 * is still listed).
 *
 * The endpoint list is swapped in place on every sync (`update`), so frontends keep their chooser, the round-robin
 * position survives, and affinity entries of endpoints that are gone are dropped.
 */
import type { Clock } from '../../base/clock/clock.js';
import type { ProxyEndpoint } from '../proxy-state.js';

/** endpointKey names an endpoint as `ip:port`. */
export function endpointKey(ep: Pick<ProxyEndpoint, 'ip' | 'port'>): string {
  return ep.ip.includes(':') ? `[${ep.ip}]:${ep.port}` : `${ep.ip}:${ep.port}`;
}

/** Affinity entries are swept once this many are held, so a stream of one-off clients cannot grow the map forever. */
const SWEEP_AT = 4096;

/** EndpointChooser: see the file comment. */
export class EndpointChooser {
  readonly #clock: Clock;
  #endpoints: readonly ProxyEndpoint[] = [];
  #next = 0;
  #affinityMs: number | undefined;
  /** Client IP → the endpoint it last reached and when. */
  readonly #affinity = new Map<string, { key: string; lastUsed: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The current endpoints, in the order given. */
  get endpoints(): readonly ProxyEndpoint[] {
    return this.#endpoints;
  }

  /** update swaps in a new endpoint list and affinity time (undefined: no affinity). */
  update(endpoints: readonly ProxyEndpoint[], affinitySeconds: number | undefined): void {
    this.#endpoints = endpoints;
    this.#affinityMs = affinitySeconds === undefined ? undefined : affinitySeconds * 1000;
    if (this.#affinityMs === undefined) this.#affinity.clear();
    const live = new Set(endpoints.map(endpointKey));
    for (const [client, a] of this.#affinity) if (!live.has(a.key)) this.#affinity.delete(client);
    if (endpoints.length > 0) this.#next %= endpoints.length;
    else this.#next = 0;
  }

  /**
   * candidates lists every endpoint in the order to try for a new connection from `clientIP`: the sticky one first
   * (affinity), then round robin. Each call advances the round robin by one. Empty: nothing to reach.
   */
  candidates(clientIP: string): ProxyEndpoint[] {
    const eps = this.#endpoints;
    if (eps.length === 0) return [];
    const start = this.#next;
    this.#next = (this.#next + 1) % eps.length;
    const order = eps.map((_, i) => eps[(start + i) % eps.length] as ProxyEndpoint);
    const sticky = this.#sticky(clientIP);
    if (sticky === undefined) return order;
    const first = order.findIndex((e) => endpointKey(e) === sticky);
    if (first <= 0) return order;
    return [order[first] as ProxyEndpoint, ...order.slice(0, first), ...order.slice(first + 1)];
  }

  /** reached records that `clientIP` got through to `ep` (the affinity anchor). */
  reached(clientIP: string, ep: ProxyEndpoint): void {
    if (this.#affinityMs === undefined) return;
    if (this.#affinity.size >= SWEEP_AT) this.#sweep();
    this.#affinity.set(clientIP, { key: endpointKey(ep), lastUsed: this.#clock.now() });
  }

  #sticky(clientIP: string): string | undefined {
    if (this.#affinityMs === undefined) return undefined;
    const a = this.#affinity.get(clientIP);
    if (!a) return undefined;
    if (this.#clock.now() - a.lastUsed > this.#affinityMs) {
      this.#affinity.delete(clientIP);
      return undefined;
    }
    return a.key;
  }

  #sweep(): void {
    const now = this.#clock.now();
    for (const [client, a] of this.#affinity) if (now - a.lastUsed > (this.#affinityMs ?? 0)) this.#affinity.delete(client);
  }
}
