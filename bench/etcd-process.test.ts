import assert from 'node:assert/strict';
import { test } from 'node:test';

import { EtcdProcess } from './etcd-process.js';

/** isAlive says whether a pid still exists (signal 0 probes without killing). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('EtcdProcess starts etcd, takes puts through the JSON gateway, and stop() ends the process', async () => {
  const etcd = await EtcdProcess.start();
  const agent = etcd.agent(4);
  try {
    await Promise.all(Array.from({ length: 8 }, (_, i) => etcd.put(agent, `/bench/test/${i}`, Buffer.from(`value-${i}`))));
  } finally {
    agent.destroy();
    await etcd.stop();
  }
  assert.equal(isAlive(etcd.pid), false);
});
