/**
 * The dashboard on a real runc node, in headless Chromium: a pod's page follows its log as lines are written, and
 * the browser terminal (xterm over the exec WebSocket, v4.channel.k8s.io) runs a typed command and shows its
 * output. Screenshots land in test-artifacts/dashboard/.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { artifactDir, buildDashboard, chromiumMissing, collectPageErrors, goto, launchChromium, startDashboardProxy, type DashboardProxy } from '../harness/browser.js';
import { containerHostMissing } from '../harness/host-tools.js';
import { waitForNodeReady } from '../harness/pods.js';
import { deletePodsAndCleanUp } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = chromiumMissing() ?? containerHostMissing();

void describe('dashboard logs and terminal on a runc node', { skip }, () => {
  let c: TestCluster;
  let proxy: DashboardProxy | undefined;
  let base = '';
  let browser: Browser;
  const node = `tkube-dash-${process.pid}`;
  const shots = artifactDir('dashboard');

  before(async () => {
    buildDashboard();
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0'] });
    await waitForNodeReady(c, node);
    await c.kubectlOk(['run', 'ticker', '--image=busybox', '--', 'sh', '-c', 'i=0; while true; do echo "tick $i"; i=$((i+1)); sleep 1; done']);
    await c.kubectlOk(['wait', '--for=condition=Ready', 'pod/ticker', '--timeout=90s']);
    proxy = await startDashboardProxy(c.kubeconfig);
    base = proxy.base;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
    if (c) await deletePodsAndCleanUp(c);
  });

  void it('follows the log and runs a command in the browser terminal', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 1000 } });
    const page = await ctx.newPage();
    const errors = collectPageErrors(page);
    await goto(page, `${base}/dashboard/#/pod/default/ticker`);
    const logs = page.locator('pre[data-logs="default/ticker"]');
    const tickOf = async (): Promise<number> => Math.max(-1, ...[...(await logs.innerText()).matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    const first = await eventually(async () => ((await tickOf()) >= 0 ? tickOf() : undefined), 30_000);
    // Following: new lines arrive without a reload.
    await eventually(async () => (await tickOf()) >= first + 2, 30_000);

    await page.getByRole('button', { name: 'Open shell' }).click();
    await page.locator('.term-state[data-state="connected"]').waitFor({ timeout: 30_000 }).catch((err: unknown) => {
      throw new Error(`${String(err)}; page errors: ${errors.join(' | ')}`);
    });
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo "dash-$((6*7))"\n');
    await eventually(async () => (await page.locator('.xterm-rows').innerText()).includes('dash-42'), 20_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; page errors: ${errors.join(' | ')}`);
    });
    await page.screenshot({ path: join(shots, 'pod-terminal.png'), fullPage: true });
    assert.deepEqual(errors.filter((e) => e.startsWith('pageerror')), []);
    await ctx.close();
  });
});
