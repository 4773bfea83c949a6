/**
 * Headless Chromium for browser tests: Debian's `chromium` driven by playwright-core (no browser download). The
 * flags keep Chromium off the network (this machine refuses outside connections, and background fetches would fill
 * the log) and let it run as root. Screenshots go to test-artifacts/<suite>/, which CI keeps.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import { eventually, REPO_ROOT, tkubeArgv } from './test-cluster.js';

export const CHROMIUM = '/usr/bin/chromium';

/** chromiumMissing says why browser tests cannot run here, or undefined when they can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (./tkube test installs Debian's chromium)`;
}

/** launchChromium starts a headless browser; close it in `after`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** artifactDir makes (if needed) and returns test-artifacts/<suite>/ for screenshots. */
export function artifactDir(suite: string): string {
  const dir = join(REPO_ROOT, 'test-artifacts', suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * goto navigates, retrying when Chromium aborts with ERR_NETWORK_CHANGED: it does so whenever a network interface
 * comes or goes, and other tests on this machine make and remove bridges and veths all the time. The same abort can
 * surface as the navigation being "interrupted by another navigation to chrome-error://chromewebdata/", or as a
 * navigation that "succeeds" onto that error page, or as the navigation being "interrupted by another navigation" to
 * the very URL asked for (Chromium restarting the request itself after the change); each is retried.
 */
export async function goto(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url);
      if (!page.url().startsWith('chrome-error://') || attempt >= 5) return;
    } catch (err) {
      if (attempt >= 5 || !/ERR_NETWORK_CHANGED|chrome-error:\/\/|interrupted by another navigation/.test(String(err))) throw err;
    }
  }
}

/** collectPageErrors records the page's uncaught exceptions and console errors, for failure messages. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** DashboardProxy is a running `tkube dashboard --url` child process. */
export interface DashboardProxy {
  /** The proxy's base URL, e.g. http://127.0.0.1:40123 (the dashboard is at `${base}/dashboard/`). */
  readonly base: string;
  stop(): Promise<void>;
}

/** startDashboardProxy runs the real `tkube dashboard --url` for a kubeconfig and waits for the URL it prints. */
export async function startDashboardProxy(kubeconfig: string): Promise<DashboardProxy> {
  const child = spawn(process.execPath, [...tkubeArgv(), 'dashboard', '--url', '--kubeconfig', kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await eventually(() => child.exitCode !== null || child.signalCode !== null, 10_000).catch(() => child.kill('SIGKILL'));
  };
  try {
    const base = await eventually(() => /^(http:\/\/127\.0\.0\.1:\d+)\/dashboard\/$/m.exec(out)?.[1], 30_000);
    return { base, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * buildDashboard builds dist/dashboard/, which the servers tests start serve, for a test file run on its own. Under
 * the whole suite (hack/run-tests.mjs built it already and says so with TKUBE_DASHBOARD_BUILT) it does nothing: test
 * files run two at a time, and a rebuild deletes the directory another file's server is serving.
 */
export function buildDashboard(): void {
  if (process.env['TKUBE_DASHBOARD_BUILT'] === '1') return;
  const built = spawnSync(process.execPath, [join(REPO_ROOT, 'hack/build-dashboard.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`Cannot build the dashboard: ${built.stderr}`);
}
