/**
 * Dashboard benchmark (issue 10): in headless Chromium (Debian's, through playwright-core), with N pods (default
 * 1,000) in the cluster —
 *   - first meaningful paint: navigation to the Pods view until its first screenful of rows is drawn and its count
 *     says N (the table is windowed: only rows on screen are in the page), p50 of 5 fresh loads; the reference,
 *     measured in the same run, is a 1,000-row table pre-rendered as static HTML by a bare Node server on loopback,
 *     until all its rows are parsed (the fastest a page can show that table here);
 *   - keeping up: with the page open, 100 pod creates/s for 10 s through the API; each second the page's pod count is
 *     compared with the pods created so far (the page's lag), and after the last create, the time until the page
 *     counts every pod;
 *   - JavaScript sent: app.js as the server sends it gzipped (what every visit loads), and app.js plus every chunk
 *     it can load on demand (the YAML editor's, the terminal's), which a visit that uses every feature loads.
 * Run: node --import tsx bench/dashboard.ts [--pods N] [--rate N] [--seconds N]. Prints one JSON line.
 * Targets (issue 10): first paint ≤ 1 s, 100 changes/s without falling behind, JavaScript ≤ 300 KB gzipped.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';

import { ApiProxy } from '../src/client/api-proxy.js';

import { numberArg } from './bench-args.js';
import { benchPod } from './bench-pod.js';
import { round, summarizeLatencies } from './latency-summary.js';
import { ServerProcess } from './server-process.js';

const podCount = numberArg('--pods', 1000);
const rate = numberArg('--rate', 100);
const seconds = numberArg('--seconds', 10);
const NAMESPACE = 'bench';
const LOADS = 5;

/**
 * In-page functions (passed as functions, not strings: the dashboard's Content-Security-Policy forbids eval). This
 * file is compiled without the DOM library, hence the narrow view of `document`.
 */
interface PageGlobals {
  readonly document: {
    querySelectorAll(selector: string): { readonly length: number };
    querySelector(selector: string): { readonly textContent: string | null } | null;
  };
}
// Each is written out where it is used: the page gets the function's source, not its closure.

function referencePage(n: number): string {
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(`<tr data-pod="${NAMESPACE}/p-${i}"><td>${NAMESPACE}</td><td><a href="#">p-${i}</a></td><td>0/1</td><td>Pending</td><td>0</td><td>1m</td><td></td><td></td></tr>`);
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>reference</title></head><body><table><tbody>${rows.join('')}</tbody></table></body></html>`;
}

function gzippedSize(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (d: Buffer) => (n += d.length));
      res.on('end', () => resolve(n));
    })
      .on('error', reject)
      .end();
  });
}

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

/** allJsGzippedSize: app.js and every chunk reachable from it through esbuild's `./chunk-<hash>.js` imports. */
async function allJsGzippedSize(dir: string): Promise<number> {
  const seen = new Set<string>(['app.js']);
  const queue = ['app.js'];
  let total = 0;
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    total += await gzippedSize(`${dir}/${file}`);
    for (const m of (await fetchText(`${dir}/${file}`)).matchAll(/chunk-[A-Za-z0-9]+\.js/g)) {
      if (!seen.has(m[0])) {
        seen.add(m[0]);
        queue.push(m[0]);
      }
    }
  }
  return total;
}

const server = await ServerProcess.start();
const reference = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(referencePage(podCount)));
await new Promise<void>((r) => reference.listen(0, '127.0.0.1', r));
const referenceUrl = `http://127.0.0.1:${(reference.address() as AddressInfo).port}/`;
const creds = server.credentials();
const proxy = new ApiProxy({ upstream: { server: server.url, caPem: creds.ca, clientCertPem: creds.cert, clientKeyPem: creds.key } });
const base = await proxy.listen();
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
});
try {
  const agent = server.agent(64);
  await server.createNamespace(agent, NAMESPACE);
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < podCount) {
        const i = next++;
        const r = await server.call(agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(`p-${i}`, NAMESPACE));
        if (r.status !== 201) throw new Error(`create p-${i}: ${r.status} ${r.body.toString().slice(0, 200)}`);
      }
    }),
  );

  const paint = async (url: string, dashboard: boolean): Promise<number> => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await ctx.newPage();
    const started = performance.now();
    await page.goto(url);
    if (dashboard) await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="pods-total"]')?.textContent === String(n) && (globalThis as unknown as PageGlobals).document.querySelectorAll('tr[data-pod]').length > 0, podCount, { timeout: 60_000, polling: 'raf' });
    else await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelectorAll('tr[data-pod]').length >= n, podCount, { timeout: 60_000, polling: 'raf' });
    const ms = performance.now() - started;
    await ctx.close();
    return ms;
  };
  const dashboardMs: number[] = [];
  const referenceMs: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    referenceMs.push(await paint(referenceUrl, false));
    dashboardMs.push(await paint(`${base}/dashboard/#/pods`, true));
  }
  const dash = summarizeLatencies(dashboardMs);
  const ref = summarizeLatencies(referenceMs);

  // Keeping up with changes: creates at `rate`/s with the page open.
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await ctx.newPage();
  await page.goto(`${base}/dashboard/#/pods`);
  await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="pods-total"]')?.textContent === String(n), podCount, { timeout: 60_000 });
  const total = rate * seconds;
  let created = 0;
  const lags: number[] = [];
  const sampler = setInterval(() => {
    void page.evaluate(() => Number((globalThis as unknown as PageGlobals).document.querySelector('[data-testid="pods-total"]')?.textContent ?? '0')).then((shown) => lags.push(podCount + created - shown)).catch(() => undefined);
  }, 1000);
  const burstStart = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const due = burstStart + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(server.call(agent, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(`c-${i}`, NAMESPACE)).then(() => created++));
  }
  await Promise.all(inflight);
  const lastAck = performance.now();
  const achievedRate = total / ((lastAck - burstStart) / 1000);
  await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid="pods-total"]')?.textContent === String(n), podCount + total, { timeout: 60_000, polling: 'raf' });
  const catchUpMs = performance.now() - lastAck;
  clearInterval(sampler);
  await ctx.close();

  const jsGzipBytes = await gzippedSize(`${base}/dashboard/app.js`);
  const jsAllGzipBytes = await allJsGzippedSize(`${base}/dashboard`);
  const result = {
    pods: podCount,
    firstPaintMs: { p50: round(dash.p50), max: round(dash.max) },
    referencePaintMs: { p50: round(ref.p50), max: round(ref.max) },
    firstPaintRatio: round(dash.p50 / ref.p50),
    changesPerSec: round(achievedRate),
    maxLagRows: Math.max(0, ...lags),
    catchUpMs: round(catchUpMs),
    jsGzipBytes,
    jsAllGzipBytes,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await browser.close();
  await proxy.close();
  reference.close();
  await server.stop();
}
