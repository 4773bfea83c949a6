/**
 * TokenCache keeps the service-account tokens of projected volumes and asks for a new one once 80% of a token's
 * life has passed (or after 24 hours), as upstream's kubelet token manager does, so a token in a running pod
 * is always valid.
 */
import type { Clock } from '../../base/clock/clock.js';
import type { ObjectSource, TokenRequestSpec } from '../object-source.js';

const MAX_TTL_MS = 24 * 3600 * 1000;

interface Entry {
  token: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

/** TokenCache: tokens by pod UID + account + audience + lifetime. */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #clock: Clock;
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** token returns a valid token, requesting one when there is none or the one held is due for refresh. */
  async token(source: ObjectSource, namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<string> {
    const key = [spec.boundPod.uid, namespace, serviceAccount, spec.audiences.join(','), spec.expirationSeconds].join('\u0000');
    const now = this.#clock.now();
    const held = this.#entries.get(key);
    if (held && !this.#due(held, now)) return held.token;
    const got = await source.serviceAccountToken(namespace, serviceAccount, spec);
    const expiresAtMs = got.expiresAtMs > 0 ? got.expiresAtMs : now + spec.expirationSeconds * 1000;
    this.#entries.set(key, { token: got.token, issuedAtMs: now, expiresAtMs });
    return got.token;
  }

  /** forget drops a pod's tokens (the pod is gone). */
  forget(podUID: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(`${podUID}\u0000`)) this.#entries.delete(k);
  }

  #due(e: Entry, now: number): boolean {
    const life = e.expiresAtMs - e.issuedAtMs;
    return now >= e.issuedAtMs + life * 0.8 || now - e.issuedAtMs > MAX_TTL_MS;
  }
}
