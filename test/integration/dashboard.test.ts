/**
 * The web dashboard end to end, in headless Chromium (Debian's, driven by playwright-core): `tkube dashboard --url`
 * opens it signed in through its local proxy; it lists nodes and pods; a pod made with kubectl appears live (from
 * the watch, no reload); a graph gains points; a direct visit to the API server's /dashboard/ asks for a token and
 * works with one; a Deployment edited as YAML shows in kubectl, and a stale save shows the conflict; a pending pod's
 * scheduling explanation shows in the Pods table and on its page. Screenshots of each view are saved under
 * test-artifacts/dashboard/. The proxy's refusals (a foreign Host, a write without the intent header, a
 * foreign-origin upgrade) are checked over plain HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { artifactDir, buildDashboard, chromiumMissing, collectPageErrors, goto, launchChromium, startDashboardProxy, type DashboardProxy } from '../harness/browser.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = chromiumMissing();

function rawHttp(url: string, opts: { method?: string; headers?: Record<string, string> }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

void describe('web dashboard', { skip }, () => {
  let c: TestCluster;
  let proxy: DashboardProxy | undefined;
  let base = '';
  let browser: Browser;
  const shots = artifactDir('dashboard');

  before(async () => {
    // The server serves dist/dashboard/; build it in case this file runs on its own.
    buildDashboard();
    c = await TestCluster.start({ args: ['--simulated-nodes', '2'] });
    proxy = await startDashboardProxy(c.kubeconfig);
    base = proxy.base;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await proxy?.stop();
    await c?.stop();
  });

  async function openPage(url: string, opts: { ignoreHTTPSErrors?: boolean } = {}): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1366, height: 900 }, ...opts });
    return ctx.newPage();
  }

  void it('opens signed in through tkube dashboard, lists nodes, and its JavaScript is small', async () => {
    const page = await openPage(`${base}/dashboard/`);
    const scripts: number[] = [];
    page.on('response', (r) => {
      if (r.url().endsWith('.js')) void r.body().then((b) => scripts.push(b.length));
    });
    const started = Date.now();
    await goto(page, `${base}/dashboard/`);
    await page.locator('table[data-table="nodes"] tbody tr').nth(1).waitFor({ timeout: 20_000 });
    process.stderr.write(`# dashboard: nodes listed ${Date.now() - started} ms after navigation\n`);
    assert.match(await page.locator('[data-testid="node-count"]').innerText(), /^2 nodes$/);
    assert.match(await page.locator('table[data-table="nodes"]').innerText(), /sim-0\s+Ready/);
    await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });
    // What the browser downloaded, gzipped by the server: the whole app is one module.
    const gz = await rawHttp(`${base}/dashboard/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.status, 200);
    await page.context().close();
  });

  void it('shows a pod made with kubectl without a reload, and a graph gains points', async () => {
    const page = await openPage(`${base}/dashboard/`);
    const errors = collectPageErrors(page);
    await goto(page, `${base}/dashboard/#/pods`);
    await page.locator('table[data-table="pods"]').waitFor();
    const created = Date.now();
    await c.kubectlOk(['run', 'dash-live', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
    await page.locator('tr[data-pod="default/dash-live"]').waitFor({ timeout: 20_000 });
    process.stderr.write(`# dashboard: new pod shown ${Date.now() - created} ms after kubectl run returned\n`);
    await eventually(async () => /Running/.test(await page.locator('tr[data-pod="default/dash-live"]').innerText()), 30_000);
    await page.screenshot({ path: join(shots, 'pods.png'), fullPage: true });

    await goto(page, `${base}/dashboard/#/overview`);
    const chart = page.locator('figure[data-chart="cluster-replicas"]');
    await chart.waitFor();
    const points = async (): Promise<number> => Number((await chart.getAttribute('data-points')) ?? '0');
    const first = await eventually(async () => ((await points()) > 0 ? points() : undefined), 20_000);
    await eventually(async () => (await points()) >= first + 2, 20_000);
    await page.screenshot({ path: join(shots, 'overview-graph.png'), fullPage: true });

    await goto(page, `${base}/dashboard/#/events`);
    const events = page.locator('table[data-table="events"]');
    await eventually(async () => /dash-live/.test(await events.innerText()), 20_000).catch(async (err: unknown) => {
      await page.screenshot({ path: join(shots, 'events-failed.png'), fullPage: true });
      throw new Error(`${String(err)}; the page shows: ${(await page.locator('main').innerText()).slice(0, 500)}; page errors: ${errors.join(' | ')}; kubectl: ${(await c.kubectl(['get', 'events', '-A'])).stdout}`);
    });
    await page.screenshot({ path: join(shots, 'events.png'), fullPage: true });
    await page.context().close();
  });

  void it('edits a Deployment as YAML, shows a stale save as a conflict, and explains scheduling', async () => {
    const started = Date.now();
    const mark = (what: string): boolean => process.stderr.write(`# dashboard edit test: ${what} at ${Date.now() - started} ms\n`);
    // One kubectl for both (each kubectl costs a second under load): a Deployment to edit, a pod no node can take.
    await c.kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: dash-edit, labels: {app: dash-edit}}
spec:
  replicas: 1
  selector: {matchLabels: {app: dash-edit}}
  template:
    metadata: {labels: {app: dash-edit}}
    spec: {containers: [{name: busybox, image: busybox, args: [sleep, "3600"]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: dash-pending}
spec:
  nodeSelector: {dash: nowhere}
  containers: [{name: busybox, image: busybox, args: [sleep, "3600"]}]
`,
    });
    // Each status write the controllers make while the pod starts is a new resourceVersion; let them settle first,
    // or the first save could meet one of them (a real conflict, but not the one this test makes on purpose).
    await c.kubectlOk(['rollout', 'status', 'deployment/dash-edit', '--timeout=30s']);
    const page = await openPage(`${base}/dashboard/`);
    const errors = collectPageErrors(page);
    const editor = page.locator('textarea.yaml');
    const shows = (pattern: RegExp): Promise<boolean> =>
      eventually(async () => pattern.test(await editor.inputValue()), 20_000).catch(async (err: unknown) => {
        await page.screenshot({ path: join(shots, 'editor-failed.png'), fullPage: true });
        throw new Error(`${String(err)}; the editor shows: ${(await editor.inputValue()).slice(0, 800)}; page errors: ${errors.join(' | ')}`);
      });
    await goto(page, `${base}/dashboard/#/workloads`);
    await page.locator('tr[data-workload="Deployment/default/dash-edit"] a').click({ timeout: 20_000 });
    await shows(/^ {2}name: dash-edit$/m);
    mark('editor shown');

    // Save an edit (two replicas and a label) and see it with kubectl. Should a late status write still slip in
    // between, the editor reports the conflict; reload and edit again, as a person would.
    for (let attempt = 1; ; attempt++) {
      const text = await editor.inputValue();
      await editor.fill(text.replace(/^ {2}replicas: 1$/m, '  replicas: 2').replace(/^ {4}app: dash-edit$/m, '    app: dash-edit\n    edited: by-dashboard'));
      await page.locator('button[data-action="save"]').click();
      const outcome = page.locator('[data-outcome]');
      await outcome.waitFor({ timeout: 20_000 });
      const kind = await outcome.getAttribute('data-outcome');
      if (kind === 'saved') break;
      assert.ok(kind === 'conflict' && attempt < 3, `save failed: ${await outcome.innerText()}`);
      await page.locator('button[data-action="reload"]').click();
    }
    await eventually(async () => (await c.kubectlOk(['get', 'deployment', 'dash-edit', '-o', 'jsonpath={.spec.replicas} {.metadata.labels.edited}'])).trim() === '2 by-dashboard', 20_000);
    await shows(/^ {4}edited: by-dashboard$/m);
    await page.screenshot({ path: join(shots, 'editor-saved.png'), fullPage: true });
    mark('saved');

    // A stale save: the text was made from a version someone else has since changed.
    await editor.fill((await editor.inputValue()).replace(/^ {2}replicas: 2$/m, '  replicas: 3'));
    await c.kubectlOk(['label', 'deployment', 'dash-edit', 'stale=later']);
    await page.locator('[data-testid="changed-meanwhile"]').waitFor({ timeout: 20_000 });
    await page.locator('button[data-action="save"]').click();
    const conflict = page.locator('[data-outcome="conflict"]');
    await conflict.waitFor({ timeout: 20_000 });
    assert.match(await conflict.innerText(), /409 Conflict/);
    assert.match(await editor.inputValue(), /^ {2}replicas: 3$/m, 'the refused edit is kept');
    await page.screenshot({ path: join(shots, 'editor-conflict.png'), fullPage: true });
    assert.equal((await c.kubectlOk(['get', 'deployment', 'dash-edit', '-o', 'jsonpath={.spec.replicas}'])).trim(), '2');
    await page.locator('button[data-action="reload"]').click();
    await shows(/^ {4}stale: later$/m);
    // A save the server finds invalid: its field error is shown, and the text stays.
    await editor.fill((await editor.inputValue()).replace(/^ {2}replicas: 2$/m, '  replicas: -1'));
    await page.locator('button[data-action="save"]').click();
    const invalid = page.locator('[data-outcome="failed"]');
    await invalid.waitFor({ timeout: 20_000 });
    assert.match(await invalid.innerText(), /\(422\).*spec\.replicas/);
    assert.match(await editor.inputValue(), /^ {2}replicas: -1$/m);
    mark('conflict shown and reloaded');

    // A pod no node can take: the Pods table says why, and its page has the scheduler's per-node verdicts.
    await goto(page, `${base}/dashboard/#/pods`);
    const pendingRow = page.locator('tr[data-pod="default/dash-pending"]');
    await eventually(async () => /0\/2 nodes are available/.test(await pendingRow.innerText().catch(() => '')), 20_000);
    await page.screenshot({ path: join(shots, 'pods-pending.png'), fullPage: true });
    await goto(page, `${base}/dashboard/#/pod/default/dash-pending`);
    const rejected = page.locator('table[data-table="scheduling"] tr[data-node="sim-0"]');
    await rejected.waitFor({ timeout: 20_000 });
    assert.match(await rejected.innerText(), /rejected by \S+.*selector/s);
    assert.match(await page.locator('[data-testid="scheduling-summary"]').innerText(), /^0\/2 nodes are available/);
    await page.screenshot({ path: join(shots, 'scheduling-pending.png'), fullPage: true });
    // A scheduled pod: every node's score per plugin, the chosen one highlighted.
    const [node] = await Promise.all([c.kubectlOk(['get', 'pod', 'dash-live', '-o', 'jsonpath={.spec.nodeName}']).then((o) => o.trim()), goto(page, `${base}/dashboard/#/pod/default/dash-live`)]);
    const chosen = page.locator('table[data-table="scheduling"] tr.chosen');
    await chosen.waitFor({ timeout: 20_000 });
    assert.equal(await chosen.getAttribute('data-node'), node);
    assert.equal(await page.locator('table[data-table="scheduling"] tbody tr').count(), 2);
    await page.screenshot({ path: join(shots, 'scheduling-chosen.png'), fullPage: true });
    await page.context().close();
    mark('explanations shown');
  });

  void it('asks for a token when visited on the API server directly, and works with one', async () => {
    await c.kubectlOk(['create', 'serviceaccount', 'dash-viewer']);
    await c.kubectlOk(['create', 'clusterrolebinding', 'dash-viewer', '--clusterrole=view', '--serviceaccount=default:dash-viewer']);
    const token = (await c.kubectlOk(['create', 'token', 'dash-viewer'])).trim();
    const page = await openPage(`${c.url}/dashboard/`, { ignoreHTTPSErrors: true });
    await goto(page, `${c.url}/dashboard/`);
    await page.locator('form.login').waitFor({ timeout: 20_000 }).catch(async (err: unknown) => {
      await page.screenshot({ path: join(shots, 'login-failed.png') });
      throw new Error(`${String(err)}; the page (${page.url()}) shows: ${(await page.locator('body').innerText().catch(() => '')).slice(0, 500)}`);
    });
    await page.screenshot({ path: join(shots, 'login.png') });
    await page.locator('input[name="token"]').fill(token);
    await page.keyboard.press('Enter');
    // `view` may read pods but not nodes: the Pods view lists the pod; the node table says what was refused.
    await page.locator('table[data-table="nodes"]').waitFor({ timeout: 20_000 });
    await eventually(async () => /forbidden/i.test(await page.locator('[role="alert"]').innerText().catch(() => '')), 20_000);
    await goto(page, `${c.url}/dashboard/#/pods`);
    await page.locator('tr[data-pod="default/dash-live"]').waitFor({ timeout: 20_000 });
    await page.context().close();
  });

  void it('serves the app shell without credentials but nothing else; the proxy refuses what a foreign page could send', async () => {
    const shell = await c.request('/dashboard/', { anonymous: true });
    assert.equal(shell.status, 200);
    assert.match(String(shell.headers['content-type']), /^text\/html/);
    assert.equal((await c.request('/dashboard', { anonymous: true })).status, 301);
    assert.equal((await c.request('/dashboard/', { anonymous: true, method: 'POST' })).status, 405);
    assert.equal((await c.request('/api/v1/pods', { anonymous: true })).status, 401);

    const rebinding = await rawHttp(`${base}/api/v1/namespaces`, { headers: { host: 'evil.example:80' } });
    assert.equal(rebinding.status, 403);
    assert.match(rebinding.body, /only answers requests for a loopback host/);
    const write = await rawHttp(`${base}/api/v1/namespaces/default/pods/dash-live`, { method: 'DELETE' });
    assert.equal(write.status, 403);
    assert.match((JSON.parse(write.body) as { message: string }).message, /needs the header "X-Tkube-Proxy: 1"/);
    const upgrade = await rawHttp(`${base}/api/v1/namespaces/default/pods/dash-live/exec?command=sh`, { headers: { connection: 'Upgrade', upgrade: 'websocket', origin: 'http://evil.example' } }).catch((err: Error) => ({ status: -1, body: err.message }));
    assert.notEqual(upgrade.status, 101);
    const read = await rawHttp(`${base}/api/v1/namespaces/default/pods/dash-live`, {});
    assert.equal(read.status, 200);
  });
});
