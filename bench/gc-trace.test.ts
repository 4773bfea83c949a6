import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { summariseGcTrace } from './gc-trace.js';

const scavenge = (pid: number, ms: number, pause: number, allocated: number, survived: number, promoted: number): string =>
  `[${pid}:0x3a266e90]    ${ms} ms: pause=${pause} mutator=80.1 gc=s reduce_memory=0 scavenge=1.2 allocated=${allocated} promoted=${promoted} new_space_survived=${survived} nodes_promoted=2`;

describe('summariseGcTrace', () => {
  it('summarises each marked phase of each server, and only its own collections', () => {
    const text = [
      scavenge(7, 10, 9, 1, 1, 1), // before any mark: not counted
      '# mark 7 1000 flood-start build=new mode=eager round=1',
      '# mark 8 1100 flood-start build=base mode=eager round=1',
      scavenge(7, 100, 2, 12_000_000, 600_000, 500_000),
      scavenge(8, 100, 5, 10_000_000, 900_000, 800_000),
      scavenge(7, 200, 4, 14_000_000, 800_000, 700_000),
      '[7:0x3a266e90]     250 ms: pause=6.5 mutator=30.0 gc=mc reduce_memory=0 total_size_before=61901064',
      'I1207 14:17:53 server] something else entirely',
      '# mark 7 3000 flood-end build=new mode=eager round=1',
      scavenge(7, 300, 9, 1, 1, 1), // after its phase: not counted
      '# mark 8 2100 flood-end build=base mode=eager round=1',
    ].join('\n');
    const phases = summariseGcTrace(text);
    assert.equal(phases.length, 2);
    const [a, b] = phases;
    assert.deepEqual(a, {
      pid: 7,
      phase: 'flood',
      labels: 'build=new mode=eager round=1',
      seconds: 2,
      scavenges: 2,
      scavengesPerSec: 1,
      scavengePauseMs: { mean: 3, max: 4 },
      allocatedKB: 13_000,
      survivedKB: 700,
      promotedKB: 600,
      totalMB: { allocated: 26, survived: 1.4, promoted: 1.2 },
      // The second scavenge's bytes over the 100 ms since the first.
      perSecondMB: { allocated: 140, survived: 8, promoted: 7 },
      markCompacts: 1,
      markCompactPauseMs: { mean: 6.5, max: 6.5 },
    });
    assert.equal(b?.pid, 8);
    assert.equal(b?.scavenges, 1);
    assert.equal(b?.promotedKB, 800);
    assert.equal(summariseGcTrace(text, 1)[0]?.scavenges, 1, 'skip leaves out the first scavenges of a phase');
  });
});
