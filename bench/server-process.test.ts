import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';

import { benchPod } from './bench-pod.js';
import { ServerProcess } from './server-process.js';

test('ServerProcess serves creates over client-cert HTTPS and stop() removes its process and data dir', async () => {
  const server = await ServerProcess.start();
  const agent = server.agent(2);
  try {
    await server.createNamespace(agent, 'bench');
    const created = await server.call(agent, 'POST', '/api/v1/namespaces/bench/pods', benchPod('p-00001', 'bench'));
    assert.equal(created.status, 201, created.body.toString('utf8'));
    assert.ok(server.rssMegabytes() > 0);
  } finally {
    agent.destroy();
    await server.stop();
  }
  assert.equal(server.alive, false);
  assert.equal(existsSync(server.dataDir), false);
});
