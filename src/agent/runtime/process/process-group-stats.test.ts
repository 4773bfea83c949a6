import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseProcStat, processGroupStats } from './process-group-stats.js';

void describe('process group stats', () => {
  void it('parses /proc/<pid>/stat past a command name with spaces and parentheses', () => {
    const line = '1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 999 12345678 300 18446744073709551615';
    assert.deepEqual(parseProcStat(line), { pgrp: 1234, ticks: 310, rssPages: 300 });
    assert.equal(parseProcStat('garbage'), undefined);
  });

  void it('sums the CPU time and resident memory of a live process group', async () => {
    // A detached shell leads its own group and burns CPU in a loop.
    const child = spawn('sh', ['-c', 'i=0; while [ $i -lt 100000000 ]; do i=$((i+1)); done'], { detached: true, stdio: 'ignore' });
    try {
      const pgid = child.pid ?? 0;
      const deadline = Date.now() + 10_000;
      let usage = processGroupStats(pgid);
      while ((usage?.cpuNs ?? 0) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        usage = processGroupStats(pgid);
      }
      assert.ok(usage && usage.cpuNs > 0, 'the loop used CPU');
      assert.ok(usage.rssBytes > 0);
    } finally {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    }
    assert.equal(processGroupStats(2 ** 22 + 7), undefined, 'no such group');
  });
});
