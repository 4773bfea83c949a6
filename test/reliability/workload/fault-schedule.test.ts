import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planFaults, runSeed, seededRandom } from './fault-schedule.js';

describe('fault schedule', () => {
  const plan = (seed: number) => planFaults({ ops: 20_000, kills: 4, slowDiskShare: 0.3, pausesPerThousand: 2, pauseMs: [100, 600], random: seededRandom(seed) });

  it('gives a run its kills and pauses per operation, inside the run, in order', () => {
    const p = plan(runSeed(11, 7));
    assert.equal(p.filter((f) => f.kind === 'kill').length, 4);
    assert.equal(p.filter((f) => f.kind === 'pause').length, 40);
    for (const f of p) {
      assert.ok(f.atOp >= 1_000 && f.atOp < 19_000, `fault at ${f.atOp}`);
      if (f.kind === 'pause') assert.ok(f.ms >= 100 && f.ms <= 600);
    }
    assert.deepEqual(p.map((f) => f.atOp), [...p.map((f) => f.atOp)].sort((a, b) => a - b));
  });

  it('is the same plan for the same run index in any shard, and another for another index', () => {
    assert.deepEqual(plan(runSeed(11, 42)), plan(runSeed(11, 42)));
    assert.notDeepEqual(plan(runSeed(11, 42)), plan(runSeed(11, 43)));
    const seeds = new Set(Array.from({ length: 100 }, (_, i) => runSeed(11, i)));
    assert.equal(seeds.size, 100);
  });

  it('keeps kills within their span (the bounded runs kill in their first quarter)', () => {
    const p = planFaults({ ops: 1_000, kills: 1, slowDiskShare: 0.3, pausesPerThousand: 4, pauseMs: [100, 600], killSpan: [0.05, 0.25], random: seededRandom(runSeed(11, 0)) });
    const kill = p.find((f) => f.kind === 'kill');
    assert.ok(kill !== undefined && kill.atOp >= 50 && kill.atOp < 250, JSON.stringify(kill));
    assert.equal(p.filter((f) => f.kind === 'pause').length, 4);
  });

  it('puts about 30 % of restarts onto a slow disk over many runs', () => {
    let slow = 0;
    for (let i = 0; i < 100; i++) slow += plan(runSeed(11, i)).filter((f) => f.kind === 'kill' && f.slowDisk).length;
    assert.ok(slow > 80 && slow < 160, `${slow} of 400 restarts slow`);
  });
});
