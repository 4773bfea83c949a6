// Builds dist/tkube.mjs: the CLI bundled into one ES module (npm packages stay external and load from
// node_modules), so `./tkube` starts without compiling TypeScript on every run. The schema data files are copied
// beside the bundle, where the schema registry looks for them (`data/` next to the module).
// Usage: node hack/build.mjs [--outdir DIR]   (default: dist/)
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDashboard } from './build-dashboard.mjs';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const outIdx = process.argv.indexOf('--outdir');
const dist = outIdx > 0 && process.argv[outIdx + 1] ? process.argv[outIdx + 1] : join(root, 'dist');
// Only what this script makes is replaced: dist/ may also hold other builds (the test runner's per-run bundles,
// dist/test-bundle-<pid>/, which a `./tkube up` run by a test must not delete under the running suite).
for (const made of ['tkube.mjs', 'tkube.mjs.map', 'data', 'dashboard']) rmSync(join(dist, made), { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(dist, 'tkube.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'error',
});
cpSync(join(root, 'src/api/schema/data'), join(dist, 'data'), { recursive: true });
// The runc runtime's per-container supervisor, compiled on the node at first use.
cpSync(join(root, 'src/agent/runtime/runc/shim.c'), join(dist, 'data', 'shim.c'));
// The node's host command helper (src/agent/host/command-runner.ts), compiled the same way.
cpSync(join(root, 'src/agent/host/command-helper.c'), join(dist, 'data', 'command-helper.c'));
// The process runtime's per-container supervisor, run with the bare node binary.
cpSync(join(root, 'src/agent/runtime/process/supervisor.mjs'), join(dist, 'data', 'supervisor.mjs'));
// The CRI v1 API subset the containerd backend loads at run time.
cpSync(join(root, 'src/agent/runtime/cri/cri-api.proto'), join(dist, 'data', 'cri-api.proto'));
// The web dashboard, served by the API server under /dashboard/ (found beside the bundle).
await buildDashboard(join(dist, 'dashboard'));
