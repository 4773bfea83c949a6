// Runs the test files named on the command line with Node's test runner, in the order given (`node --test` sorts
// its file arguments by path, so it cannot start the slowest files first), two at a time, each file in its own
// process with this process's flags (start it with `--import tsx`). Output is Node's spec reporter, summary included;
// the exit code is 1 when a test failed, as with `node --test`.
// Usage: node --import tsx hack/run-test-files.mjs [--concurrency=N] [--timeout=MS] FILE...
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
};
const files = args.filter((a) => !a.startsWith('--'));
// The runner starts each file's process with this process's execArgv, read when it spawns; adding the preload here
// (rather than asking every caller for it) keeps results from being lost at forceExit: see blocking-stdout.mjs.
process.execArgv.push(`--import=${new URL('./blocking-stdout.mjs', import.meta.url).href}`);
const stream = run({ files, concurrency: flag('concurrency', 2), timeout: flag('timeout', Infinity), forceExit: true });
stream.on('test:fail', (data) => {
  if (data.todo === undefined || data.todo === false) process.exitCode = 1;
});
stream.compose(new spec()).pipe(process.stdout);
