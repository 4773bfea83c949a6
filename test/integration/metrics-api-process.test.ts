/**
 * Resource metrics on the process runtime (no root needed): the pods' figures come from /proc (the container's
 * process group), and `kubectl top pods` shows a busy shell loop far above a sleeping pod.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_PATH } from '../../src/agent/images/builtin-images.js';
import { deletePodsAndCleanUpProcessNode } from '../harness/process-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static';

function milli(cpu: string): number {
  return cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
}

void describe('kubectl top on a process-runtime node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-mp-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'process', '--node-name', node, '--kubelet-port', '0', '--metrics-resolution', '1s'] });
  });
  after(async () => {
    if (c) await deletePodsAndCleanUpProcessNode(c);
  });

  void it('shows the busy pod far above the idle one', async (t) => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    await c.kubectlOk(['run', 'busy', '--image=busybox', '--', 'sh', '-c', 'while :; do :; done']);
    await c.kubectlOk(['run', 'idle', '--image=busybox', '--', 'sleep', '3600']);
    let last = '';
    const rows = await eventually(async () => {
      const r = await c.kubectl(['top', 'pods', '--no-headers']);
      last = `${r.code} ${r.stdout} ${r.stderr}`;
      if (r.code !== 0) return undefined;
      const byPod = new Map(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).map((f) => [f[0] ?? '', f] as const));
      const busy = byPod.get('busy');
      const idle = byPod.get('idle');
      if (!busy || !idle) return undefined;
      const b = milli(busy[1] ?? '0');
      return b >= 50 && b >= 5 * milli(idle[1] ?? '0') ? { busy, idle } : undefined;
    }, 30_000, 500).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; last kubectl top: ${last}`);
    });
    t.diagnostic(`busy ${rows.busy.join(' ')} | idle ${rows.idle.join(' ')}`);
    assert.ok(milli(rows.idle[1] ?? '') < 20, `idle pod uses ${rows.idle[1] ?? ''}`);
    assert.match(rows.busy[2] ?? '', /^\d+Mi$/);
  });
});
