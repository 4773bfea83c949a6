/**
 * The INAETICS demonstrator (examples/inaetics, issue 10) on a real runc node, as its README runs it: the stand-in
 * images, `kubectl apply` of the example's manifests, producers scaled by hand with `kubectl scale rc`; the queue's
 * length, scraped as the external metric `queue_length`, makes the HPA add processors, and once the producers are
 * at 0 and the processors have emptied the queue, it takes them back to 0. Timings shortened by server flags.
 *
 * One change to the manifests, because other clusters may run on this host at the same time: the queue Service
 * gets an allocated NodePort instead of the example's fixed 30090. The ExternalMetricSource is applied unchanged:
 * its URL names the queue's Service, which the server resolves to the queue pod.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { addExampleStandIns } from '../../src/boot/images.js';
import { commandExists, containerHostMissing } from '../harness/host-tools.js';
import { waitForNodeReady } from '../harness/pods.js';
import { deletePodsAndCleanUp } from '../harness/runc-node.js';
import { eventually, REPO_ROOT, TestCluster } from '../harness/test-cluster.js';

const skip = containerHostMissing() || (commandExists('nft') ? false : 'needs nft');

const FAST_HPA = ['--horizontal-pod-autoscaler-sync-period', '1s', '--metrics-scrape-interval', '500ms'];

const example = (file: string): string => readFileSync(join(REPO_ROOT, 'examples', 'inaetics', file), 'utf8');

/** httpGet is one GET to the host's loopback, resolving with the body or undefined (no answer yet). */
function httpGet(port: number, path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 ? body : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

void describe('examples/inaetics: processors follow the queue the producers fill', { skip }, () => {
  let c: TestCluster;
  const node = `tkube-inaetics-${process.pid}`;

  before(async () => {
    c = await TestCluster.start({ agent: true, args: ['--container-runtime', 'runc', '--node-name', node, ...FAST_HPA] });
    await waitForNodeReady(c, node);
  });

  after(async () => {
    if (!c) return;
    // The autoscaler and the controllers would replace the pods deletePodsAndCleanUp deletes: they go first.
    await c.kubectl(['delete', 'hpa,rc', '--all', '--wait=true', '--timeout=60s']);
    await deletePodsAndCleanUp(c);
  });

  const replicas = async (rc: string): Promise<number> => Number(await c.kubectlOk(['get', 'rc', rc, '-o', 'jsonpath={.spec.replicas}']));
  const running = async (role: string): Promise<number> =>
    (await c.kubectlOk(['get', 'pods', '-l', `app=inaetics,role=${role}`, '--field-selector=status.phase=Running', '-o', 'name'])).split('\n').filter((l) => l !== '').length;
  const queueLength = async (): Promise<string> => c.kubectlOk(['get', 'ems', 'inaetics-queue', '-o', 'jsonpath={.status.values[0].value}']);

  void it('scales processors up while producers run and back to 0 when they stop', async () => {
    // `tkube images stand-ins`, in-process.
    const added = await addExampleStandIns(c.dataDir);
    for (const role of ['queue', 'producer', 'processor', 'viewer']) assert.ok(added.some((i) => i.refs.includes(`docker.io/inaetics/${role}:latest`)), role);

    const queue = example('queue.yaml');
    assert.match(queue, /, nodePort: 30090\}/);
    await c.kubectlOk(['apply', '-f', '-'], { input: queue.replace(', nodePort: 30090}', '}') });
    for (const file of ['producer.yaml', 'processor.yaml', 'viewer.yaml']) await c.kubectlOk(['apply', '-f', join(REPO_ROOT, 'examples', 'inaetics', file)]);
    const nodePort = Number(await c.kubectlOk(['get', 'service', 'inaetics-queue', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const autoscaler = example('autoscaler.yaml');
    assert.match(autoscaler, /url: http:\/\/inaetics-queue\.default\.svc\/metrics/);
    await eventually(async () => (await c.kubectl(['get', 'crd', 'externalmetricsources.metrics.tkube.io'])).code === 0, 30_000);
    await c.kubectlOk(['apply', '-f', join(REPO_ROOT, 'examples', 'inaetics', 'autoscaler.yaml')]);

    // The queue runs, answers on its NodePort, and its empty length reaches the HPA: no processors.
    await eventually(async () => (await running('queue')) === 1, 60_000);
    assert.match((await eventually(() => httpGet(nodePort, '/metrics'), 30_000, 250)) ?? '', /^queue_length 0$/m);
    await eventually(async () => (await queueLength()) === '0', 30_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: ${await c.kubectlOk(['get', 'ems', 'inaetics-queue', '-o', 'yaml'])}`);
    });
    await eventually(async () => (await c.kubectlOk(['get', 'hpa', 'inaetics-processor', '-o', 'jsonpath={.status.currentMetrics[0].external.current.averageValue}'])) !== '', 30_000);
    assert.equal(await replicas('inaetics-processor-controller'), 0);

    // Two producers fill the queue (2 items/s each): processors are added and start taking items.
    await c.kubectlOk(['scale', 'rc', 'inaetics-producer-controller', '--replicas=2']);
    const up = Date.now();
    await eventually(async () => (await running('producer')) === 2, 60_000);
    await eventually(async () => (await replicas('inaetics-processor-controller')) > 0, 60_000);
    await eventually(async () => (await running('processor')) > 0, 60_000);
    process.stderr.write(`# inaetics: producers 0 → 2, processors running ${Date.now() - up} ms later (queue ${await queueLength()})\n`);

    // The viewer shows the queue.
    const viewerPort = Number(await c.kubectlOk(['get', 'service', 'inaetics-viewer', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    assert.match((await eventually(() => httpGet(viewerPort, '/cgi-bin/queue'), 30_000, 250)) ?? '', /INAETICS queue: \d+ items/);

    // No producers: the processors empty the queue and the HPA takes them back to 0.
    await c.kubectlOk(['scale', 'rc', 'inaetics-producer-controller', '--replicas=0']);
    const down = Date.now();
    await eventually(async () => (await replicas('inaetics-processor-controller')) === 0, 60_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}: queue ${await queueLength()}\n${await c.kubectlOk(['get', 'hpa', 'inaetics-processor', '-o', 'yaml'])}`);
    });
    await eventually(async () => (await running('processor')) === 0, 60_000);
    process.stderr.write(`# inaetics: producers 2 → 0, processors back at 0 ${Date.now() - down} ms later\n`);
    const events = await c.kubectlOk(['get', 'events', '--field-selector=involvedObject.kind=HorizontalPodAutoscaler', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.match(events, /SuccessfulRescale: New size: \d; reason: external metric queue_length\(nil\) above target/);
    assert.match(events, /SuccessfulRescale: New size: 0; reason: All metrics below target/);
  });
});
