// Preloaded into every test file's process by hack/run-test-files.mjs: makes this process's stdout pipe blocking.
//
// Why: a test file's process reports its results to the runner over its stdout pipe, and the runner ends it with
// process.exit() as soon as its tests are done (forceExit, so a file that leaves a handle open cannot hang the
// suite). A write to a non-blocking pipe that the runner is slow to read is queued in memory, and process.exit()
// drops the queue: the runner then reports fewer tests than ran, still exit 0, and a failure among the lost
// results would show only as "test failed" on the file, without its name or error. CI lost 8 results this way.
// With a blocking pipe every write completes before the next statement, so nothing is queued at exit.
process.stdout._handle?.setBlocking?.(true);
