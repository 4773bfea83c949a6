import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCriLog, renderLog } from './cri-log.js';

const LOG = [
  '2026-11-24T01:00:00.000000001Z stdout F one',
  '2026-11-24T01:00:01.000000001Z stderr P two-',
  '2026-11-24T01:00:01.500000001Z stderr F part',
  '2026-11-24T01:00:02.000000001Z stdout F three',
  'garbage',
  '',
].join('\n');

void describe('CRI log', () => {
  void it('joins partial records and skips unreadable lines', () => {
    assert.deepEqual(parseCriLog(LOG).map((l) => [l.stream, l.text]), [['stdout', 'one'], ['stderr', 'two-part'], ['stdout', 'three']]);
  });
  void it('applies timestamps, tailLines, since and limitBytes', () => {
    const lines = parseCriLog(LOG);
    assert.equal(renderLog(lines, {}), 'one\ntwo-part\nthree\n');
    assert.equal(renderLog(lines, { tailLines: 1, timestamps: true }), '2026-11-24T01:00:02.000000001Z three\n');
    assert.equal(renderLog(lines, { sinceMs: Date.parse('2026-11-24T01:00:01Z') }), 'two-part\nthree\n');
    assert.equal(renderLog(lines, { limitBytes: 5 }), 'one\nt');
    assert.equal(renderLog(lines, { tailLines: 0 }), '');
  });
});
