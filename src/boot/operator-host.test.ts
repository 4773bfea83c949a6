/**
 * OperatorHost against the in-process test API server, with JavaScript operator files in a temp dir: loads,
 * reloads on change (the new version reconciles, the old one is stopped), keeps the old version when the new one
 * does not import, and turns a missing setup or a failing setup into one log line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Logger } from '../base/log/logger.js';
import { Kinds } from '../sdk/kind.js';
import { eventually } from '../sdk/testing/eventually.js';
import { startTestEnvironment, type TestEnvironment } from '../sdk/testing/test-environment.js';
import { OperatorHost } from './operator-host.js';

const SDK = JSON.stringify(resolve(import.meta.dirname, '../sdk/index.ts'));

/** stamper is an operator that writes `data.stamp = <stamp>` into ConfigMaps labelled stamp=yes. */
function stamper(stamp: string): string {
  return [
    `import { Kinds } from ${SDK};`,
    'export function setup(manager) {',
    "  manager.controller('stamp').for(Kinds.ConfigMap).complete(async (req) => {",
    '    const cm = await manager.client.get(Kinds.ConfigMap, req);',
    `    if (!cm || cm.metadata?.labels?.stamp !== 'yes' || cm.data?.stamp === ${JSON.stringify(stamp)}) return;`,
    `    await manager.client.patch(cm, { data: { stamp: ${JSON.stringify(stamp)} } });`,
    '  });',
    '}',
    '',
  ].join('\n');
}

function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  const logger: Logger = { error: log('E'), warn: log('W'), info: log('I'), debug: () => undefined, child: () => logger };
  return logger;
}

describe('OperatorHost', () => {
  let env: TestEnvironment;
  let dir: string;
  before(async () => {
    env = await startTestEnvironment();
    dir = mkdtempSync(join(tmpdir(), 'tkube-operator-host-'));
  });
  after(async () => {
    await env.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function stampOf(name: string): Promise<string | undefined> {
    const cm = await env.client.get<{ data?: Record<string, string> } & Record<string, unknown>>(Kinds.ConfigMap, { namespace: 'default', name });
    return cm?.data?.['stamp'];
  }

  it('loads, reloads on change, keeps the old version when the new one does not import', async () => {
    const file = join(dir, 'stamp.mjs');
    writeFileSync(file, stamper('v1'));
    const lines: string[] = [];
    const host = new OperatorHost({ paths: [file], rest: env.rest, log: recordingLogger(lines), reloadDelayMs: 20 });
    try {
      await host.start();
      assert.deepEqual(host.status(), [{ path: file, loads: 1, running: true }]);
      await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'default', labels: { stamp: 'yes' } } });
      await eventually(async () => (await stampOf('a')) === 'v1');

      writeFileSync(file, stamper('v2'));
      // The new version reconciles every object again.
      await eventually(async () => (await stampOf('a')) === 'v2');
      await eventually(() => host.status()[0]?.loads === 2);

      writeFileSync(file, 'export function setup( {\n');
      await eventually(() => host.status()[0]?.lastError !== undefined);
      const errors = lines.filter((l) => l.startsWith('E '));
      assert.equal(errors.length, 1);
      assert.match(errors[0] ?? '', /Cannot load operator .*"keeping":"the previous version"/);
      assert.equal(host.status()[0]?.running, true);
      await env.client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'default', labels: { stamp: 'yes' } } });
      await eventually(async () => (await stampOf('b')) === 'v2');
    } finally {
      await host.stop();
    }
    assert.equal(host.status()[0]?.running, false);
  });

  it('a module without setup, or whose setup throws, is one error line and runs nothing', async () => {
    const noSetup = join(dir, 'nosetup.mjs');
    writeFileSync(noSetup, 'export const x = 1;\n');
    const throws = join(dir, 'throws.mjs');
    writeFileSync(throws, "export function setup() { throw new Error('no way'); }\n");
    const lines: string[] = [];
    const host = new OperatorHost({ paths: [noSetup, throws], rest: env.rest, log: recordingLogger(lines), watch: false });
    await host.start();
    try {
      assert.deepEqual(
        host.status().map((s) => [s.running, s.lastError]),
        [
          [false, 'the module exports no setup function (export function setup(manager) { … })'],
          [false, 'no way'],
        ],
      );
      assert.equal(lines.filter((l) => l.startsWith('E ')).length, 2);
    } finally {
      await host.stop();
    }
  });
});
