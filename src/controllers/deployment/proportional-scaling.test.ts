import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { proportionalSizes, type ScalableReplicaSet } from './proportional-scaling.js';

const rs = (name: string, replicas: number, maxReplicas: number | undefined, age: number): ScalableReplicaSet => ({ name, replicas, maxReplicas, age });

void describe('proportionalSizes', () => {
  const cases: [string, ScalableReplicaSet[], number, number, number, Record<string, number>][] = [
    // 10 replicas, maxSurge 3 (max-replicas 13): old 8, new 5 → scaled to 20 (allowed 23): both grow by their share.
    ['scale up mid-rollout', [rs('old', 8, 13, 1), rs('new', 5, 13, 2)], 20, 3, 13, { old: 15, new: 8 }],
    // Scale down from 20 (+3) to 10 (+3): shares round up to 9 and 5, the one left over comes off the largest.
    ['scale down mid-rollout', [rs('old', 15, 23, 1), rs('new', 8, 23, 2)], 10, 3, 23, { old: 8, new: 5 }],
    ['scale to zero', [rs('old', 3, 5, 1), rs('new', 2, 5, 2)], 0, 1, 5, { old: 0, new: 0 }],
    ['missing annotation uses the fallback', [rs('old', 4, undefined, 1), rs('new', 4, undefined, 2)], 12, 0, 8, { old: 6, new: 6 }],
    ['nothing to do', [rs('old', 5, 10, 1), rs('new', 5, 10, 2)], 10, 0, 10, {}],
  ];
  for (const [name, active, desired, surge, fallback, want] of cases) {
    void it(name, () => {
      const got = Object.fromEntries(proportionalSizes(active, desired, surge, fallback));
      assert.deepEqual(got, want);
      const before = active.reduce((n, r) => n + r.replicas, 0);
      const after = active.reduce((n, r) => n + (got[r.name] ?? r.replicas), 0);
      if (Object.keys(want).length > 0) assert.equal(after, desired > 0 ? desired + surge : 0, `total after scaling (was ${before})`);
    });
  }
});
