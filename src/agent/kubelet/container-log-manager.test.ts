import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import type { ContainerStatus } from '../cri/runtime-service.js';
import { ContainerLogManager, rotatedLogFiles, rotationStamp } from './container-log-manager.js';

const dir = mkdtempSync(join(tmpdir(), 'tkube-logrot-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function subject(logPath: string, reopen?: (id: string) => Promise<void>) {
  const clock = new FakeClock(Date.UTC(2026, 11, 6, 15, 0, 0));
  const reopened: string[] = [];
  const runtime = {
    listContainers: async () => [{ id: 'c1', logPath, state: 'CONTAINER_RUNNING' } as unknown as ContainerStatus],
    reopenContainerLog: async (id: string) => {
      reopened.push(id);
      await reopen?.(id);
      // The writer recreates the path, as containerd does on ReopenContainerLog.
      writeFileSync(logPath, '');
    },
  };
  const manager = new ContainerLogManager({ runtime, clock, log: newLogger('test'), policy: { maxSizeBytes: 100, maxFiles: 4 } });
  return { manager, clock, reopened };
}

void describe('ContainerLogManager', () => {
  void it('renders upstream stamps in UTC', () => {
    assert.equal(rotationStamp(Date.UTC(2026, 0, 2, 3, 4, 5)), '20260102-030405');
  });

  void it('leaves a small log alone, rotates a big one, compresses all but the newest rotated, keeps maxFiles', async () => {
    const path = join(dir, 'a', '0.log');
    mkdirSync(join(dir, 'a'));
    const { manager, clock, reopened } = subject(path);
    writeFileSync(path, 'small\n');
    assert.deepEqual(await manager.rotateLogs(), []);
    for (let round = 0; round < 4; round++) {
      writeFileSync(path, `round ${round} ${'x'.repeat(120)}\n`);
      assert.deepEqual(await manager.rotateLogs(), ['c1']);
      clock.advance(1000);
    }
    assert.deepEqual(reopened, ['c1', 'c1', 'c1', 'c1']);
    const rotated = await rotatedLogFiles(path);
    // maxFiles 4 = the live file + three rotated. As upstream, compression runs before the rotation, so the two
    // newest rotated files are plain and the older ones gzip.
    assert.deepEqual(
      rotated.map((r) => r.compressed),
      [true, false, false],
    );
    assert.match(readFileSync(rotated[2]?.path ?? '', 'utf8'), /^round 3 /);
    assert.match(readFileSync(rotated[1]?.path ?? '', 'utf8'), /^round 2 /);
    assert.match(gunzipSync(readFileSync(rotated[0]?.path ?? '')).toString('utf8'), /^round 1 /);
    assert.equal(readFileSync(path, 'utf8'), '');
    assert.equal(readdirSync(join(dir, 'a')).length, 4);
  });

  void it('gives the file its name back when the writer cannot reopen', async () => {
    mkdirSync(join(dir, 'b'));
    const path = join(dir, 'b', '0.log');
    const { manager } = subject(path, () => Promise.reject(new Error('no such container')));
    writeFileSync(path, 'y'.repeat(200));
    assert.deepEqual(await manager.rotateLogs(), []);
    assert.ok(existsSync(path));
    assert.equal(readFileSync(path, 'utf8').length, 200);
    assert.deepEqual(await rotatedLogFiles(path), []);
  });
});
