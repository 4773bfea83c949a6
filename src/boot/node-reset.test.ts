import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { newLogger } from '../base/log/logger.js';
import { pollUntil } from '../base/wait/poll-until.js';
import { resetNode } from './node-reset.js';
import { processAlive, writeServerState } from './server-state.js';

const children: ChildProcess[] = [];

/** idle starts a process that waits for a signal, standing in for a server, an etcd member or an agent. */
function idle(): number {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(child);
  assert.ok(child.pid);
  return child.pid;
}

void describe('tkube reset', () => {
  const root = mkdtempSync(join(tmpdir(), 'tkube-reset-'));
  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  void it('stops the server, its etcd member and a joined agent, removes the data dir and the context, then finds nothing', async () => {
    const dataDir = join(root, 'data');
    mkdirSync(join(dataDir, 'db'), { recursive: true });
    mkdirSync(join(dataDir, 'agent'), { recursive: true });
    const server = idle();
    const etcd = idle();
    const agent = idle();
    writeServerState(dataDir, { pid: server, url: 'https://127.0.0.1:1', port: 1, startedAt: new Date().toISOString() });
    writeFileSync(join(dataDir, 'db', 'etcd.pid'), `${etcd}\n`);
    writeFileSync(join(dataDir, 'agent', 'agent.pid'), `${agent}\n`);
    const kubeconfig = join(root, 'config');
    writeFileSync(kubeconfig, ['apiVersion: v1', 'kind: Config', 'current-context: tkube', 'clusters: [{name: tkube, cluster: {server: "https://127.0.0.1:1"}}]', 'users: [{name: tkube, user: {}}]', 'contexts: [{name: tkube, context: {cluster: tkube, user: tkube}}]', ''].join('\n'));

    const lines: string[] = [];
    const n = await resetNode({ dataDir, userKubeconfig: kubeconfig, log: newLogger('test'), removed: (l) => lines.push(l) });
    assert.deepEqual(lines, [
      `stopped the server (pid ${server})`,
      `stopped the embedded etcd member (pid ${etcd})`,
      `stopped the node agent (pid ${agent})`,
      `removed the data dir ${dataDir}`,
      `removed context "tkube" from ${kubeconfig}`,
    ]);
    assert.equal(n, lines.length);
    assert.ok(await pollUntil(() => ![server, etcd, agent].some(processAlive), { timeoutMs: 10_000, intervalMs: 50 }), 'every process exited');
    assert.equal(existsSync(dataDir), false);

    const again: string[] = [];
    assert.equal(await resetNode({ dataDir, userKubeconfig: kubeconfig, log: newLogger('test'), removed: (l) => again.push(l) }), 0);
    assert.deepEqual(again, []);
  });
});
