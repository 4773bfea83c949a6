/**
 * Health endpoints /livez, /readyz and /healthz, as upstream serves them:
 * - `GET /readyz` → 200 `ok`, or 500 listing each check (`[+]ping ok`, `[-]etcd failed: reason withheld`) and
 *   `readyz check failed`;
 * - `?verbose` lists every check and ends with `readyz check passed`;
 * - `?exclude=<name>` (repeatable) skips checks; unknown names add a `warn:` line;
 * - `GET /readyz/<name>` runs one check: 200 `ok`, 500 `internal server error: <err>`, 404 if unknown.
 * Failure reasons are never shown in the aggregate answers (they may describe internals); they go to `onFailure`.
 */
import type { ServerResponse } from 'node:http';
import { RealClock, type Clock } from '../../base/clock/clock.js';

/** HealthCheck is one named probe. */
export interface HealthCheck {
  /** Lower-case name used in paths and output (`etcd`, `poststarthook/start-informers`). */
  readonly name: string;
  /** Resolves when healthy; rejects (with the reason) when not. Should answer within a few seconds. */
  check(): Promise<void>;
}

/** PING_CHECK always passes: the server answered. */
export const PING_CHECK: HealthCheck = { name: 'ping', check: () => Promise.resolve() };

/** HEALTH_CHECK_TIMEOUT_MS bounds one check; a check still pending after it counts as failed. */
export const HEALTH_CHECK_TIMEOUT_MS = 10_000;

async function runCheck(check: HealthCheck, clock: Clock): Promise<Error | undefined> {
  let timer: { cancel(): void } | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = clock.setTimer(HEALTH_CHECK_TIMEOUT_MS, () => reject(new Error(`Cannot complete check ${check.name}: timed out`)));
      }),
    ]);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    timer?.cancel();
  }
}

function writeText(res: ServerResponse, code: number, text: string): void {
  res.statusCode = code;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-cache, private');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

/** HealthEndpointConfig is the construction input of HealthEndpoint. */
export interface HealthEndpointConfig {
  /** The endpoint name without slash (`readyz`). */
  readonly name: string;
  /** Returns the current checks (read on every request, so checks can be added after start). */
  readonly checks: () => readonly HealthCheck[];
  /** Told about every failing check with its real reason. */
  readonly onFailure: (check: string, err: Error) => void;
  /** Times out slow checks. @default RealClock */
  readonly clock?: Clock;
}

/** HealthEndpoint serves one of /livez, /readyz, /healthz from a list of checks. */
export class HealthEndpoint {
  readonly #name: string;
  readonly #checks: () => readonly HealthCheck[];
  readonly #onFailure: (check: string, err: Error) => void;
  readonly #clock: Clock;

  constructor(config: HealthEndpointConfig) {
    this.#name = config.name;
    this.#checks = config.checks;
    this.#onFailure = config.onFailure;
    this.#clock = config.clock ?? new RealClock();
  }

  /** The path this endpoint owns, e.g. `/readyz`. */
  get path(): string {
    return `/${this.#name}`;
  }

  /** serve answers `path` (this endpoint's path or a sub-path) with `query`. */
  async serve(path: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
    const checks = this.#checks();
    const sub = path.slice(this.path.length).replace(/^\/+|\/+$/g, '');
    if (sub !== '') {
      const check = checks.find((c) => c.name === sub);
      if (!check) return writeText(res, 404, '404 page not found\n');
      const err = await runCheck(check, this.#clock);
      if (err) {
        this.#onFailure(check.name, err);
        return writeText(res, 500, `internal server error: ${err.message}\n`);
      }
      return writeText(res, 200, 'ok');
    }
    const excluded = new Set(query.getAll('exclude').flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''));
    const verbose = query.has('verbose');
    const results = await Promise.all(checks.map(async (c) => ({ c, err: excluded.has(c.name) ? undefined : await runCheck(c, this.#clock) })));
    let failed = false;
    const lines: string[] = [];
    for (const { c, err } of results) {
      if (excluded.has(c.name)) {
        lines.push(`[+]${c.name} excluded: ok`);
      } else if (err) {
        failed = true;
        this.#onFailure(c.name, err);
        lines.push(`[-]${c.name} failed: reason withheld`);
      } else {
        lines.push(`[+]${c.name} ok`);
      }
    }
    const unknown = [...excluded].filter((n) => !checks.some((c) => c.name === n));
    if (unknown.length > 0) lines.push(`warn: some health checks cannot be excluded: no matches for ${unknown.map((n) => `"${n}"`).join(',')}`);
    if (failed) return writeText(res, 500, `${lines.join('\n')}\n${this.#name} check failed\n`);
    if (!verbose) return writeText(res, 200, 'ok');
    return writeText(res, 200, `${lines.join('\n')}\n${this.#name} check passed\n`);
  }
}
