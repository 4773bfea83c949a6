// The whole test suite, as `./tkube test` runs it: type-check, lint, dependency rules, then every test file
// under src/, bench/, examples/ and test/ with Node's built-in runner (whose closing summary CI reads).
// Flags: --quick skips type-check/lint; --only PATTERN runs test files whose path contains PATTERN; --long also
// runs the long reliability suites.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const long = args.includes('--long');
const onlyIdx = args.indexOf('--only');
const only = onlyIdx >= 0 ? args[onlyIdx + 1] : undefined;

function run(title, cmd, cmdArgs, env = {}) {
  process.stdout.write(`# ${title}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, TKUBE_LONG: long ? '1' : '', TKUBE_FREEZE_SHARED_OBJECTS: '1', ...env } });
  if (r.status !== 0) {
    process.stdout.write(`# ${title}: FAILED\n`);
    return false;
  }
  return true;
}

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

let ok = true;
if (!quick && !only) {
  ok = run('type-check (tsc --noEmit)', join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json']) && ok;
  ok = run('type-check the dashboard (tsc --noEmit)', join(root, 'node_modules/.bin/tsc'), ['-p', 'web/dashboard/tsconfig.json']) && ok;
  ok = run('lint (eslint)', join(root, 'node_modules/.bin/eslint'), ['--max-warnings=0', 'src', 'test', 'hack', 'bench', 'examples', 'web']) && ok;
  ok = run('dependency rules (dependency-cruiser)', join(root, 'node_modules/.bin/depcruise'), ['src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err']) && ok;
}
// The servers the tests start serve the dashboard from dist/dashboard/ (the dashboard tests drive it in Chromium).
const dashboardBuilt = run('build the dashboard', process.execPath, [join(root, 'hack/build-dashboard.mjs')]);
ok = dashboardBuilt && ok;
// The servers, agents and CLI commands the tests start run this bundle of the same sources (TKUBE_TEST_BUNDLE, read
// by tkubeArgv in test/harness/test-cluster.ts): compiling the sources through tsx at each of the hundreds of
// starts cost about 2 s of CPU apiece.
// One directory per run (removed at the end): a second run in the same checkout must not rebuild it under the first.
const bundleDir = join(root, 'dist', `test-bundle-${process.pid}`);
const bundled = run('build the test bundle', process.execPath, [join(root, 'hack/build.mjs'), '--outdir', bundleDir]);
ok = bundled && ok;
let files = [...findTests(join(root, 'src'), []), ...findTests(join(root, 'bench'), []), ...findTests(join(root, 'examples'), []), ...findTests(join(root, 'test'), [])].sort();
if (only) files = files.filter((f) => f.includes(only));
// The known-slow files first, longest first (hack/slow-tests.txt): with two slots, a long file started near the end
// would keep one slot busy alone while the other idles. Then unit tests (fast feedback), then integration and e2e.
const slow = readFileSync(join(root, 'hack/slow-tests.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const rank = (f) => {
  const i = slow.indexOf(f);
  return i < 0 ? slow.length : i;
};
files.sort((a, b) => rank(a) - rank(b) || Number(a.startsWith('test/')) - Number(b.startsWith('test/')) || a.localeCompare(b));
// Through run-test-files.mjs rather than `node --test`, which would sort the files by path and lose that order.
ok = run(`tests (${files.length} files)`, process.execPath, ['--import', 'tsx', join(root, 'hack/run-test-files.mjs'), '--concurrency=2', '--timeout=300000', ...files], {
  ...(bundled ? { TKUBE_TEST_BUNDLE: join(bundleDir, 'tkube.mjs') } : {}),
  // The test files that drive the dashboard do not rebuild it then: two of them running at once would each delete
  // and rewrite dist/dashboard/ under the other's server (a chunk vanished mid-build in a CI run).
  ...(dashboardBuilt ? { TKUBE_DASHBOARD_BUILT: '1' } : {}),
}) && ok;
rmSync(bundleDir, { recursive: true, force: true });
process.exit(ok ? 0 : 1);
