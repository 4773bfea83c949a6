import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { newLogger } from '../base/log/logger.js';
import { ComponentsProcess } from './components-process.js';

const CHILD = fileURLToPath(new URL('./testing/components-child-fixture.ts', import.meta.url));
const PARENT = fileURLToPath(new URL('./testing/components-parent-fixture.ts', import.meta.url));
/** A configuration that starts no component: the child needs no API server. */
const NOTHING = { connection: { server: 'https://127.0.0.1:1' }, identity: 'test', timing: {} };

function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

async function eventually<T>(probe: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

void describe('ComponentsProcess', () => {
  void it('starts its child, starts it again after a SIGKILL, and stops it', async () => {
    const supervisor = new ComponentsProcess({ config: NOTHING, entry: CHILD, log: newLogger('test') });
    await supervisor.start();
    const first = supervisor.pid;
    assert.ok(first !== undefined && alive(first));
    process.kill(first, 'SIGKILL');
    const second = await eventually(() => {
      const pid = supervisor.pid;
      return pid !== undefined && pid !== first ? pid : undefined;
    }, 30_000);
    assert.equal(supervisor.starts, 2);
    await supervisor.stop();
    assert.ok(!alive(second), 'stop() left the child running');
    assert.equal(supervisor.pid, undefined);
  });

  void it('the child exits when its parent is SIGKILLed', async () => {
    const parent = spawn(process.execPath, [...process.execArgv, PARENT], { stdio: ['ignore', 'pipe', 'inherit'] });
    const childPid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      parent.once('exit', (code) => reject(new Error(`the parent exited (${code ?? '?'}) before it printed its child`)));
    });
    assert.ok(childPid > 0 && alive(childPid));
    parent.kill('SIGKILL');
    await eventually(() => !alive(childPid), 10_000);
  });
});
