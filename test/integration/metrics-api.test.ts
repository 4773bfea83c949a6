/**
 * Resource metrics on a real runc node: the server's metrics server scrapes the kubelet's Summary every second
 * (`--metrics-resolution 1s`), and the real `kubectl top` reads metrics.k8s.io/v1beta1 through discovery. A busybox
 * pod spinning in a shell loop shows about a core while an idle one shows next to nothing; `kubectl top nodes`
 * shows the node's CPU and memory; label selectors, a missing pod (404) and a write (405) answer as upstream.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { containerHostMissing } from '../harness/host-tools.js';
import { deletePodsAndCleanUp } from '../harness/runc-node.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing();

/** milli parses a kubectl top CPU figure ("998m", "1") into millicores. */
function milli(cpu: string): number {
  return cpu.endsWith('m') ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
}

void describe('metrics.k8s.io and kubectl top on a runc node', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-mt-${process.pid}`;
  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, '--kubelet-port', '0', '--metrics-resolution', '1s'] });
  });
  after(async () => {
    if (c) await deletePodsAndCleanUp(c);
  });

  void it('kubectl top pods --containers tracks a busy container; kubectl top nodes shows the node', async (t) => {
    await eventually(async () => /\sReady\s/.test(await c.kubectlOk(['get', 'node', node])), 30_000);
    await c.kubectlOk(['run', 'busy', '--image=busybox', '--labels=app=busy', '--', 'sh', '-c', 'while :; do :; done']);
    await c.kubectlOk(['run', 'idle', '--image=busybox', '--labels=app=idle', '--', 'sleep', '3600']);
    // "POD NAME CPU(cores) MEMORY(bytes)" rows, once both pods have two samples.
    const started = Date.now();
    let last = '';
    const rows = await eventually(async () => {
      const r = await c.kubectl(['top', 'pods', '--containers', '--no-headers']);
      last = `${r.code} ${r.stdout} ${r.stderr}`;
      if (r.code !== 0) return undefined;
      const byPod = new Map(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).map((f) => [f[0] ?? '', f] as const));
      const busy = byPod.get('busy');
      const idle = byPod.get('idle');
      if (!busy || !idle) return undefined;
      // The loop takes a whole core on an idle machine; on a loaded one (other tests run beside this one) it gets
      // its share, still far above the sleeping pod's nothing.
      const b = milli(busy[2] ?? '0');
      return b >= 50 && b >= 5 * milli(idle[2] ?? '0') ? { busy, idle } : undefined;
    }, 30_000, 500).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; last kubectl top: ${last}`);
    });
    t.diagnostic(`busy ${rows.busy.join(' ')} | idle ${rows.idle.join(' ')} | ${Date.now() - started} ms after the pods were created`);
    assert.equal(rows.busy[1], 'busy');
    assert.ok(milli(rows.idle[2] ?? '') < 20, `idle pod uses ${rows.idle[2] ?? ''}`);
    assert.match(rows.busy[3] ?? '', /^\d+Mi$/);

    const nodes = (await c.kubectlOk(['top', 'nodes', '--no-headers'])).trim().split(/\s+/);
    assert.equal(nodes[0], node);
    assert.ok(milli(nodes[1] ?? '0') >= 50, `node CPU ${nodes[1] ?? ''}`);
    assert.match(nodes[3] ?? '', /^\d+Mi$/);
    t.diagnostic(`node ${nodes.join(' ')}`);

    // In-process components' figures ride on the API server's /metrics.
    const prom = await c.kubectlOk(['get', '--raw', '/metrics']);
    assert.match(prom, /^workqueue_adds_total\{name="[a-z-]+"\} \d+$/m);
    assert.match(prom, /^scheduler_schedule_attempts_total\{result="scheduled"\} [1-9]\d*$/m);
    assert.match(prom, /^apiserver_request_total\{/m);

    // The HPA's request: pods of a namespace by label selector.
    const list = JSON.parse(await c.kubectlOk(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dbusy'])) as { kind: string; items: { metadata: { name: string; labels: Record<string, string> }; containers: { name: string }[] }[] };
    assert.equal(list.kind, 'PodMetricsList');
    assert.deepEqual(list.items.map((i) => i.metadata.name), ['busy']);
    assert.equal(list.items[0]?.metadata.labels['app'], 'busy');
    // Server-side printing for kubectl get.
    assert.match(await c.kubectlOk(['get', 'podmetrics', 'idle']), /NAME\s+CPU\s+MEMORY\s+WINDOW\s*\nidle\s+\S+\s+\S+\s+\S+s/);

    const missing = await c.kubectl(['top', 'pod', 'nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /podmetrics.metrics.k8s.io "default\/nope" not found/);
    const dir = mkdtempSync(join(tmpdir(), 'metrics-api-'));
    try {
      writeFileSync(join(dir, 'm.json'), JSON.stringify({ apiVersion: 'metrics.k8s.io/v1beta1', kind: 'NodeMetrics', metadata: { name: 'x' } }));
      const write = await c.kubectl(['create', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes', '-f', join(dir, 'm.json')]);
      assert.notEqual(write.code, 0);
      assert.match(write.stderr, /MethodNotAllowed|does not allow this method/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
