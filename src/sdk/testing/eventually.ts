/**
 * eventually: poll a check until it returns something truthy or a deadline passes — how operator tests wait for
 * a controller's effect without sleeping a fixed time. (The repository's own integration tests have the same
 * helper in test/harness; operator authors get this one with the SDK.)
 */

/** eventually resolves with the first truthy result of `check`; throws with the last failure after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = new Error(`condition returned ${String(v)}`);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms: ${last instanceof Error ? last.message : String(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
