/**
 * Operators from the SDK in a real server: `tkube server --operator FILE` reconciles a Greeting created with the
 * real kubectl, picks up an edit of the operator file (reload), survives a broken edit with one log line and the
 * previous version still running; `tkube operator run FILE --kubeconfig K` runs a JavaScript operator from its own
 * process against the same server.
 * The example operator is copied to a temp dir (with its SDK import made absolute) so the test can edit it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, REPO_ROOT, TestCluster } from '../harness/test-cluster.js';

const EXAMPLE = join(REPO_ROOT, 'examples/operator/greeting-operator.ts');

/** copyOperator writes the example operator into `dir` with its SDK import pointing at this checkout. */
function copyOperator(dir: string, salutation = 'Hello'): string {
  const source = readFileSync(EXAMPLE, 'utf8')
    .replace("'../../src/sdk/index.js'", JSON.stringify(join(REPO_ROOT, 'src/sdk/index.ts')).replace(/"/g, "'"))
    .replace("export const SALUTATION = 'Hello';", `export const SALUTATION = '${salutation}';`);
  const file = join(dir, 'greeting-operator.ts');
  writeFileSync(file, source);
  return file;
}

function greeting(name: string, to: string): string {
  return `apiVersion: example.tkube.dev/v1\nkind: Greeting\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n  to: ${to}\n`;
}

async function message(c: TestCluster, name: string): Promise<string> {
  const r = await c.kubectl(['get', 'configmap', `greeting-${name}`, '-o', 'jsonpath={.data.message}']);
  return r.code === 0 ? r.stdout : '';
}

describe('tkube server --operator', () => {
  let dir: string;
  let file: string;
  let c: TestCluster;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tkube-operator-'));
    file = copyOperator(dir);
    c = await TestCluster.start({ args: ['--operator', file] });
  });
  after(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles a Greeting created with kubectl: ConfigMap, Ready column, finalizer', async () => {
    // The operator installs its CRD once loaded; kubectl can apply as soon as the kind is served.
    await eventually(async () => (await c.kubectl(['apply', '-f', '-'], { input: greeting('hello', 'kubectl') })).code === 0, 30_000, 200);
    assert.equal(await eventually(async () => ((await message(c, 'hello')) === 'Hello, kubectl!' ? 'ok' : undefined), 30_000, 200), 'ok');
    const table = await eventually(async () => {
      const r = await c.kubectl(['get', 'greetings', 'hello']);
      return /hello\s+kubectl\s+True/.test(r.stdout) ? r.stdout : undefined;
    }, 20_000, 200);
    assert.match(table, /NAME\s+TO\s+READY/);
    const finalizers = await c.kubectl(['get', 'greeting', 'hello', '-o', 'jsonpath={.metadata.finalizers}']);
    assert.match(finalizers.stdout, /example\.tkube\.dev\/cleanup/);
  });

  it('tkube operator run: a JavaScript operator in its own process, against a kubeconfig, stops on SIGTERM', async () => {
    const file = join(dir, 'stamp-operator.mjs');
    writeFileSync(
      file,
      [
        `import { Kinds } from ${JSON.stringify(join(REPO_ROOT, 'src/sdk/index.ts'))};`,
        "export const name = 'stamp';",
        'export default function setup(manager) {',
        "  manager.controller('stamp').for(Kinds.ConfigMap).complete(async (req) => {",
        '    const cm = await manager.client.get(Kinds.ConfigMap, req);',
        "    if (!cm || cm.metadata?.labels?.remote !== 'yes' || cm.data?.stamped) return;",
        "    await manager.client.patch(cm, { data: { stamped: 'by-operator-run' } });",
        '  });',
        '}',
        '',
      ].join('\n'),
    );
    let log = '';
    // The sources through tsx, not tkubeArgv()'s bundle: this plain-JavaScript operator imports the SDK's TypeScript
    // sources, which only a process with the tsx loader can load.
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/main.ts'), 'operator', 'run', file, '--kubeconfig', c.kubeconfig], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.stdout.setEncoding('utf8').on('data', (d: string) => (log += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    try {
      await c.kubectl(['create', 'configmap', 'remote', '--from-literal=a=b']);
      await c.kubectl(['label', 'configmap', 'remote', 'remote=yes']);
      await eventually(async () => (await c.kubectl(['get', 'configmap', 'remote', '-o', 'jsonpath={.data.stamped}'])).stdout === 'by-operator-run', 40_000, 200);
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    }
    assert.equal(await exited, 0, log.slice(-2000));
    assert.match(log, /Operator loaded.*name="stamp"/);

  });

  it('reloads the operator when its file changes; a broken edit is one log line and the old version runs on', async () => {
    copyOperator(dir, 'Howdy');
    // A reload re-reconciles every Greeting with the new code.
    await eventually(async () => (await message(c, 'hello')) === 'Howdy, kubectl!', 30_000, 200);
    assert.match(c.log, /Operator reloaded/);

    writeFileSync(file, `${readFileSync(file, 'utf8')}\nexport const broken = ;\n`);
    await eventually(() => /Cannot load operator/.test(c.log), 30_000, 100);
    const lines = c.log.split('\n').filter((l) => l.includes('Cannot load operator'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.doesNotMatch(c.log, /^\s+at /m, 'no stack trace');
    // The server is fine and the previous version still reconciles.
    assert.equal((await c.kubectl(['get', 'namespaces'])).code, 0);
    await c.kubectl(['apply', '-f', '-'], { input: greeting('second', 'again') });
    await eventually(async () => (await message(c, 'second')) === 'Howdy, again!', 30_000, 200);

    // Deleting runs the finalizer: the ConfigMap goes, then the Greeting.
    assert.equal((await c.kubectl(['delete', 'greeting', 'second', '--wait=true', '--timeout=30s'])).code, 0);
    assert.equal((await c.kubectl(['get', 'configmap', 'greeting-second'])).code, 1);
  });
});

