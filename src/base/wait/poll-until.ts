/**
 * pollUntil: wait for a condition by polling it, up to a deadline. For processes and files outside our control
 * (a child server becoming ready, a pid going away) where nothing can notify us; inside the cluster, watch instead.
 */

/** PollOptions bound a poll. */
export interface PollOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Pause between checks. @default 100 */
  readonly intervalMs?: number;
}

/** pollUntil resolves true as soon as `cond` holds, or with its last answer once the deadline passes. */
export async function pollUntil(cond: () => Promise<boolean> | boolean, options: PollOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
  return cond();
}
