/**
 * Pod scraping with a real node: `tkube server --container-runtime process` runs a busybox pod whose shell keeps
 * a metrics file current and whose `busybox httpd` serves it on loopback; the pod opts in with
 * prometheus.io/scrape, and custom.metrics.k8s.io shows its gauge and the rate of its counter. Needs no root, only
 * busybox-static. Every container process the runtime started is killed by pid afterwards.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_PATH } from '../../src/agent/images/builtin-images.js';
import { freePort } from '../../src/base/net/free-port.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';
import { processAlive } from '../harness/host-tools.js';

const skip = existsSync(BUSYBOX_PATH) ? false : 'needs busybox-static';

interface MetricValueList {
  items: { describedObject: { kind: string; name: string }; value: string; windowSeconds?: number }[];
}

const alive = processAlive;

void describe('custom metrics from a running pod (process runtime)', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-cm-${process.pid}`;
  const containersDir = (): string => join(c.dataDir, 'agent', 'process', 'containers');
  const recorded = (file: 'pid' | 'container.json'): number[] => {
    const dir = containersDir();
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((id) => {
      try {
        const rec = JSON.parse(readFileSync(join(dir, id, file), 'utf8')) as { pid?: number; supervisor?: { pid: number } };
        const pid = file === 'pid' ? rec.pid : rec.supervisor?.pid;
        return pid ? [pid] : [];
      } catch {
        return [];
      }
    });
  };

  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'process', '--node-name', node, '--metrics-scrape-interval', '500ms'] });
  });

  after(async () => {
    if (!c) return;
    await c.kubectl(['delete', 'pods', '--all', '--grace-period=1', '--wait=true', '--timeout=30s']);
    const leftovers = { groups: recorded('pid'), supervisors: recorded('container.json') };
    await c.stop();
    for (const pid of leftovers.groups) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    for (const pid of leftovers.supervisors) if (alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(c.dataDir, { recursive: true, force: true });
  });

  void it('scrapes an annotated pod at its IP and serves its gauge and counter rate', async () => {
    const port = await freePort();
    // The shell rewrites the file every 200 ms (10 more requests each time); httpd serves it from the
    // container's private working directory.
    const script = [
      'mkdir -p www; i=0',
      `(while true; do i=$((i+10)); printf '# TYPE http_requests_total counter\\nhttp_requests_total %d\\nworkers_busy 4\\n' $i > www/metrics.tmp; mv www/metrics.tmp www/metrics; sleep 0.2; done) &`,
      `exec busybox httpd -f -p 127.0.0.1:${port} -h www`,
    ].join('\n');
    await c.kubectlOk(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'worker', namespace: 'default', labels: { app: 'worker' }, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port) } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'worker', image: 'busybox', command: ['sh', '-c', script] }] },
      }),
    });
    const base = '/apis/custom.metrics.k8s.io/v1beta2/namespaces/default';
    const gauge = await eventually(async () => {
      const r = await c.kubectl(['get', '--raw', `${base}/pods/*/workers_busy?labelSelector=app%3Dworker`]);
      return r.code === 0 && r.stdout.includes('"value":"4"') ? (JSON.parse(r.stdout) as MetricValueList) : undefined;
    }, 60_000);
    assert.deepEqual(gauge.items.map((i) => [i.describedObject.kind, i.describedObject.name, i.value]), [['Pod', 'worker', '4']]);
    const rate = await eventually(async () => {
      const r = await c.kubectl(['get', '--raw', `${base}/pods/worker/http_requests_per_second`]);
      return r.code === 0 ? (JSON.parse(r.stdout) as MetricValueList) : undefined;
    }, 20_000);
    const value = rate.items[0]?.value ?? '';
    const perSecond = value.endsWith('m') ? Number(value.slice(0, -1)) / 1000 : Number(value);
    // 10 per 200 ms is 50 per second; the shell's timing is loose on a busy machine.
    assert.ok(perSecond > 5 && perSecond < 200, `rate ${value}`);
    assert.ok((rate.items[0]?.windowSeconds ?? 0) >= 1);
  });
});
