/**
 * The server's in-process informers keep up with a burst of creates (issue 5, session 11): a real server with
 * simulated nodes, pods created 32 at a time from outside, the scheduler (an in-process component reading the
 * process's pods informer) binding them, and the server's own gauge of how far each informer is behind its watch
 * cache (`tkube_informer_pending_events`) back at 0 once the creates stop.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RestClient } from '../../src/client/rest-client.js';
import { eventually, TestCluster } from '../harness/test-cluster.js';

const PODS = 300;
const NS = 'default';
const POD_PATH = { version: 'v1', resource: 'pods', namespace: NS } as const;

/** pendingEvents reads the gauge of one informer from the server's /metrics (undefined: not reported). */
async function pendingEvents(c: TestCluster, resource: string): Promise<number | undefined> {
  const { status, body } = await c.request('/metrics', { headers: { Accept: 'text/plain' } });
  assert.equal(status, 200);
  const m = new RegExp(`^tkube_informer_pending_events\\{group="",resource="${resource}"\\} (\\d+)$`, 'm').exec(body);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

void describe('in-process informers under a burst of creates', () => {
  let c: TestCluster;
  let client: RestClient;
  before(async () => {
    c = await TestCluster.start({ args: ['--simulated-nodes', '10'] });
    client = RestClient.fromKubeconfig(c.kubeconfig);
  });
  after(async () => {
    client?.close();
    await c?.stop();
  });

  void it('the scheduler hears of every pod and the pods informer is back at 0 behind the watch cache', async () => {
    await eventually(async () => ((await client.list({ version: 'v1', resource: 'nodes' })).items.length === 10 ? true : undefined), 60_000);
    // The gauge is reported once the informers synced.
    await eventually(async () => ((await pendingEvents(c, 'nodes')) === 0 ? true : undefined), 20_000, 200);
    let next = 0;
    const creator = async (): Promise<void> => {
      for (let i = next++; i < PODS; i = next++) {
        await client.create(POD_PATH, { apiVersion: 'v1', kind: 'Pod', metadata: { name: `lag-${i}` }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
      }
    };
    await Promise.all(Array.from({ length: 32 }, creator));
    // Every pod bound: the scheduler's informer delivered all of them.
    await eventually(async () => {
      const pods = (await client.list(POD_PATH)).items.filter((p) => p.metadata?.name?.startsWith('lag-'));
      return pods.length === PODS && pods.every((p) => (p['spec'] as { nodeName?: string }).nodeName) ? true : undefined;
    }, 60_000, 500);
    await eventually(async () => ((await pendingEvents(c, 'pods')) === 0 ? true : undefined), 20_000, 200);
  });
});
