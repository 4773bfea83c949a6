import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { FilePodStartTrace, NO_POD_START_TRACE, podStartTraceFromEnv } from './pod-start-trace.js';

void describe('pod start trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-trace-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  void it('writes a line per ended step and per mark, once flushed, and a step ended twice once', () => {
    const path = join(dir, 'trace.jsonl');
    const trace = new FilePodStartTrace(path);
    trace.mark('uid-1', 'seen', 'web-0');
    const end = trace.begin('uid-1', 'sandbox');
    end();
    end();
    trace.begin('uid-1', 'never-ended');
    trace.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { k: string; s: string; t0: number; t1: number; n?: string });
    assert.deepEqual(lines.map((l) => [l.k, l.s, l.n]), [['uid-1', 'seen', 'web-0'], ['uid-1', 'sandbox', undefined]]);
    const step = lines[1];
    assert.ok(step && step.t1 >= step.t0 && step.t0 > Date.now() - 60_000, 'epoch milliseconds, end after start');
  });

  void it('is off unless TKUBE_POD_START_TRACE names a file', () => {
    assert.equal(podStartTraceFromEnv({}), NO_POD_START_TRACE);
    assert.equal(podStartTraceFromEnv({ TKUBE_POD_START_TRACE: '' }), NO_POD_START_TRACE);
    const on = podStartTraceFromEnv({ TKUBE_POD_START_TRACE: join(dir, 'env.jsonl') });
    assert.ok(on instanceof FilePodStartTrace);
    on.close();
  });
});
