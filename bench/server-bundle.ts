/**
 * The server bundle benchmarks run: the same esbuild bundle `hack/build.mjs` makes, written to
 * bench/results/dist/ instead of dist/ so a benchmark never replaces a bundle another engineer is running.
 * npm packages stay external and resolve from the repository's node_modules (the bundle lives inside the repo).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** REPO_ROOT is the repository's root folder. */
export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '..', '..');

/** BENCH_RESULTS_DIR is where run.ts writes latest.json and where the bench bundle lives (gitignored). */
export const BENCH_RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

const BUNDLE_DIR = join(BENCH_RESULTS_DIR, 'dist');

/** SERVER_BUNDLE is the path of the bundled CLI that benchmarks start with `node SERVER_BUNDLE server …`. */
export const SERVER_BUNDLE = join(BUNDLE_DIR, 'tkube.mjs');

/** buildServerBundle (re)builds SERVER_BUNDLE with hack/build.mjs, into the bench folder. */
export async function buildServerBundle(): Promise<string> {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'hack/build.mjs'), '--outdir', BUNDLE_DIR], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`Cannot build the server bundle: hack/build.mjs exited ${r.status}`);
  return SERVER_BUNDLE;
}

/**
 * ensureServerBundle builds SERVER_BUNDLE unless it exists (run.ts rebuilds it once per run; a benchmark run alone
 * reuses whatever bundle is there, so rebuild after changing the source). TKUBE_BENCH_BUNDLE names another bundle
 * to run instead, e.g. an older build inside the repository (bench/results/olddist) for a before/after pair.
 */
export async function ensureServerBundle(): Promise<string> {
  const asked = process.env['TKUBE_BENCH_BUNDLE'];
  if (asked !== undefined && asked !== '') return asked;
  return existsSync(SERVER_BUNDLE) ? SERVER_BUNDLE : buildServerBundle();
}
