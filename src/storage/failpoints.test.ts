import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseFailpoints } from './failpoints.js';

describe('failpoints', () => {
  it('parses name=action[@N] lists', () => {
    assert.deepEqual(parseFailpoints('sqlite-after-commit=panic@200, sqlite-before-fsync=sleep(15)'), [
      { name: 'sqlite-after-commit', action: { kind: 'panic' }, fromHit: 200 },
      { name: 'sqlite-before-fsync', action: { kind: 'sleep', ms: 15 }, fromHit: 1 },
    ]);
    assert.deepEqual(parseFailpoints(''), []);
  });

  it('rejects malformed entries with a message', () => {
    for (const bad of ['x', 'x=explode', 'x=sleep(a)', 'x=panic@', 'X=panic']) assert.equal(typeof parseFailpoints(bad), 'string', bad);
  });

  it('panic kills the process with SIGKILL at the armed hit, not before', () => {
    const script = "import { failpoint } from './src/storage/failpoints.ts'; failpoint('p'); console.log('first'); failpoint('p'); console.log('second');";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TKUBE_FAILPOINTS: 'p=panic@2' }, encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    assert.equal(r.stdout.trim(), 'first');
  });

  it('with TKUBE_FAILPOINTS_ARM=signal, counts hits only after SIGUSR2', () => {
    const script = "import { failpoint } from './src/storage/failpoints.ts'; failpoint('p'); failpoint('p'); console.log('before'); process.kill(process.pid, 'SIGUSR2'); setTimeout(() => { failpoint('p'); console.log('one'); failpoint('p'); console.log('two'); }, 300);";
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: { ...process.env, TKUBE_FAILPOINTS: 'p=panic@2', TKUBE_FAILPOINTS_ARM: 'signal' }, encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['before', 'one']);
  });
});
