import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { eventually, TestCluster } from '../../../test/harness/test-cluster.js';
import { RestClient, type WatchEvent, type WatchOptions } from '../rest-client.js';
import { listerWatcherFor, type ListerWatcher } from './reflector.js';
import { SharedInformer } from './shared-informer.js';

const CM = { version: 'v1', resource: 'configmaps', namespace: 'default' } as const;

describe('SharedInformer against a real server', () => {
  let c: TestCluster;
  let client: RestClient;
  before(async () => {
    // Fast compaction so an informer that falls behind gets a real 410 Expired (the second test). The first test
    // needs its watch to stay current: 30 revisions of history cover a slow machine's gap between list and watch,
    // and it waits out the server's start-up writes (every namespace's kube-root-ca.crt ConfigMap) before it lists.
    c = await TestCluster.start({ args: ['--compaction-interval', '200ms', '--compaction-keep-revisions', '30'] });
    client = RestClient.fromKubeconfig(c.kubeconfig);
    await eventually(async () => ((await client.list({ ...CM, namespace: undefined })) as { items: unknown[] }).items.length >= 4, 20_000);
  });
  after(async () => {
    client?.close();
    await c?.stop();
  });

  it('syncs, then tells handlers about adds, updates and deletes with the store already updated', async () => {
    await client.create(CM, { metadata: { name: 'before' } });
    const informer = new SharedInformer({ client, path: CM });
    const log: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => log.push(`add ${o.metadata?.name}`),
      onUpdate: (_old, o) => log.push(`update ${o.metadata?.name} ${JSON.stringify(informer.store.get(`default/${o.metadata?.name}`)?.['data'])}`),
      onDelete: (o) => log.push(`delete ${o.metadata?.name} ${informer.store.get(`default/${o.metadata?.name}`) === undefined}`),
    });
    const ac = new AbortController();
    const running = informer.run(ac.signal);
    assert.equal(await informer.waitForSync(), true);
    assert.ok(informer.hasSynced());
    assert.ok(log.includes('add before'));
    await client.create(CM, { metadata: { name: 'live' } });
    await client.patch({ ...CM, name: 'live' }, 'merge', { data: { k: 'v' } });
    await client.delete({ ...CM, name: 'live' });
    await eventually(() => log.includes('delete live true'));
    assert.ok(log.includes('add live'));
    assert.ok(log.includes('update live {"k":"v"}'));
    // A late handler hears the current contents.
    const late: string[] = [];
    informer.addEventHandler({ onAdd: (o) => late.push(o.metadata?.name ?? '') });
    assert.ok(late.includes('before'));
    ac.abort();
    await running;
    assert.equal(informer.listCount, 1);
  });

  it('relists after a real 410 Expired and reconciles what changed while the watch was down', async () => {
    await client.create(CM, { metadata: { name: 'gone-later' } });
    // The first watch "drops" at once; the next one waits for the gate, by which time compaction has removed
    // the informer's resourceVersion, so the server answers 410 and the reflector must list again.
    let gate: () => void = () => undefined;
    const gateOpen = new Promise<void>((r) => (gate = r));
    const real = listerWatcherFor(client, CM);
    let watches = 0;
    const lw: ListerWatcher = {
      list: (o) => real.list(o),
      watch: (o: WatchOptions) => {
        watches++;
        const n = watches;
        return (async function* (): AsyncGenerator<WatchEvent> {
          if (n === 1) return;
          if (n === 2) await gateOpen;
          yield* real.watch(o);
        })();
      },
    };
    const informer = new SharedInformer({ client, path: CM, listerWatcher: lw });
    const deleted: string[] = [];
    const added: string[] = [];
    informer.addEventHandler({ onAdd: (o: KubeObject) => added.push(o.metadata?.name ?? ''), onDelete: (o: KubeObject) => deleted.push(o.metadata?.name ?? '') });
    const ac = new AbortController();
    const running = informer.run(ac.signal);
    await informer.waitForSync();
    const staleRv = informer.lastSyncResourceVersion();
    await eventually(() => watches >= 2);
    await client.delete({ ...CM, name: 'gone-later' });
    for (let i = 0; i < 40; i++) await client.create(CM, { metadata: { name: `during-${i}` } });
    // Wait until the server has really compacted past the informer's resourceVersion.
    await eventually(async () => {
      const r = await c.request(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${staleRv}&timeoutSeconds=1`);
      return r.status === 410 || /"code":410/.test(r.body);
    }, 20_000, 200);
    gate();
    await eventually(() => informer.listCount >= 2 && deleted.includes('gone-later') && added.includes('during-39'), 20_000);
    assert.equal(informer.store.get('default/gone-later'), undefined);
    ac.abort();
    await running;
  });
});
