// Builds the web dashboard into DIR (default dist/dashboard/): web/dashboard/src/main.ts bundled with its
// libraries (Preact, htm, uPlot) into one minified ES module, app.js; the page's CSS and uPlot's in app.css; and
// index.html. The API server serves the directory under /dashboard/. esbuild, which already builds the CLI, is all
// the tooling needed: the app has no JSX (htm templates) and no framework plugins.
// Usage: node hack/build-dashboard.mjs [--outdir DIR]   Prints the gzipped size of what a browser downloads.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(fileURLToPath(import.meta.url), '..', '..');

/** buildDashboard writes the dashboard into outdir and returns the gzipped byte counts. */
export async function buildDashboard(outdir) {
  const web = join(root, 'web', 'dashboard');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { app: join(web, 'src', 'main.ts') },
    outdir,
    // The terminal (xterm) is imported on demand: a chunk of its own, loaded when a shell opens.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    legalComments: 'none',
    logLevel: 'error',
    absWorkingDir: root,
  });
  const css = [join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), join(root, 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css'), join(web, 'app.css')].map((f) => readFileSync(f, 'utf8')).join('\n');
  writeFileSync(join(outdir, 'app.css'), css);
  copyFileSync(join(web, 'index.html'), join(outdir, 'index.html'));
  const gz = (f) => gzipSync(readFileSync(join(outdir, f)), { level: 9 }).length;
  const chunks = readdirSync(outdir).filter((f) => f.startsWith('chunk-') && f.endsWith('.js'));
  return { js: gz('app.js'), chunks: chunks.reduce((n, f) => n + gz(f), 0), css: gz('app.css'), html: gz('index.html') };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--outdir');
  const outdir = i > 0 && process.argv[i + 1] ? process.argv[i + 1] : join(root, 'dist', 'dashboard');
  const sizes = await buildDashboard(outdir);
  process.stdout.write(`dashboard built in ${outdir}: app.js ${sizes.js} B (+ ${sizes.chunks} B loaded on demand), app.css ${sizes.css} B, index.html ${sizes.html} B gzipped\n`);
}
