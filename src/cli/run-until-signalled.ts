/**
 * runUntilSignalled: how a foreground command (server, agent, operator run, dashboard) lives — it runs until
 * SIGTERM or SIGINT, then stops what it started, once, however many signals arrive. A failing stop is reported as
 * one plain line, never a stack trace.
 */

/** Stoppable is what a foreground command started. */
export interface Stoppable {
  stop(): Promise<void>;
}

/** runUntilSignalled resolves after the first SIGTERM/SIGINT, once `running.stop()` has settled. */
export function runUntilSignalled(running: Stoppable): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      running.stop().then(done, (err: unknown) => {
        process.stderr.write(`tkube: stopping failed: ${err instanceof Error ? err.message : String(err)}\n`);
        done();
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
