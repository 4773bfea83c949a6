/**
 * until: the runtime tests' poll-with-deadline. It calls `fn` every `intervalMs` until it gives something other
 * than undefined, and fails naming `what` once `timeoutMs` has passed (tests never sleep-then-assert).
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
