import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import { newLogger } from '../base/log/logger.js';
import { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import type { ResourcePath } from '../client/resource-path.js';
import type { RestClient, WatchEvent, WatchOptions } from '../client/rest-client.js';
import { eventually } from '../../test/harness/test-cluster.js';
import type { Proxier } from './proxier.js';
import type { ProxySnapshot } from './proxy-state.js';
import { ServiceProxy } from './service-proxy.js';

/** FakeApi serves lists and watches of services and endpointslices from memory; a list can be held back. */
class FakeApi {
  readonly items = new Map<string, KubeObject[]>([['services', []], ['endpointslices', []]]);
  readonly gates = new Map<string, Promise<void>>();
  readonly #watchers = new Map<string, ((e: WatchEvent) => void)[]>();
  #rv = 10;

  client(): RestClient {
    const list = async (path: ResourcePath): Promise<unknown> => {
      await this.gates.get(path.resource);
      return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.#rv) }, items: this.items.get(path.resource) ?? [] };
    };
    const watchers = this.#watchers;
    return {
      list,
      async *watch(path: ResourcePath, options: WatchOptions) {
        const queue: WatchEvent[] = [];
        let wake: (() => void) | undefined;
        const push = (e: WatchEvent): void => {
          queue.push(e);
          wake?.();
        };
        const mine = watchers.get(path.resource) ?? [];
        mine.push(push);
        watchers.set(path.resource, mine);
        while (!options.signal?.aborted) {
          const next = queue.shift();
          if (next) yield next;
          else await new Promise<void>((resolve) => {
            wake = resolve;
            options.signal?.addEventListener('abort', () => resolve(), { once: true });
          });
        }
      },
    } as unknown as RestClient;
  }

  modify(resource: string, obj: KubeObject): void {
    const o = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#rv) } };
    for (const w of this.#watchers.get(resource) ?? []) w({ type: 'MODIFIED', object: o });
  }
}

const service: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'ns', name: 'web', resourceVersion: '1' }, spec: { clusterIP: '10.43.0.5', ports: [{ name: 'http', port: 80 }] } };
const slice = (ip: string): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'ns', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' }, resourceVersion: '2' },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  endpoints: [{ addresses: [ip], conditions: { ready: true } }],
});

class RecordingProxier implements Proxier {
  readonly mode = 'nftables' as const;
  readonly snapshots: ProxySnapshot[] = [];
  failures = 0;
  sync(snapshot: ProxySnapshot): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error('nft could not program table t: boom'));
    }
    this.snapshots.push(snapshot);
    return Promise.resolve();
  }
  cleanup(): Promise<void> {
    return Promise.resolve();
  }
}

const endpointIP = (s: ProxySnapshot | undefined): string | undefined => s?.servicePorts[0]?.endpoints[0]?.ip;

void describe('ServiceProxy', () => {
  void it('programs nothing before both informers listed, then batches changes and retries failures', async () => {
    const api = new FakeApi();
    api.items.set('services', [service]);
    api.items.set('endpointslices', [slice('10.42.0.2')]);
    let release: () => void = () => undefined;
    api.gates.set('endpointslices', new Promise<void>((resolve) => (release = resolve)));
    const informers = new SharedInformerFactory({ client: api.client(), log: newLogger('test') });
    const proxier = new RecordingProxier();
    const proxy = new ServiceProxy({ informers, proxier, nodeName: 'n1', nodeIPs: ['192.0.2.2'], clusterCidr: '10.42.0.0/16', minSyncPeriodMs: 200, syncPeriodMs: 0, log: newLogger('test') });
    const stop = new AbortController();
    informers.start(stop.signal);
    proxy.start();
    try {
      await eventually(() => proxy.snapshot().servicePorts.length === 1, 5_000);
      assert.equal(proxier.snapshots.length, 0, 'services listed, slices not yet: nothing programmed');
      release();
      await eventually(() => endpointIP(proxier.snapshots.at(-1)) === '10.42.0.2', 5_000);
      const before = proxier.snapshots.length;
      for (let i = 3; i < 23; i++) api.modify('endpointslices', slice(`10.42.0.${i}`));
      await eventually(() => endpointIP(proxier.snapshots.at(-1)) === '10.42.0.22', 5_000);
      await proxy.idle();
      assert.ok(proxier.snapshots.length - before <= 3, `20 changes in one burst: ${proxier.snapshots.length - before} syncs`);

      proxier.failures = 1;
      api.modify('endpointslices', slice('10.42.0.99'));
      await eventually(() => endpointIP(proxier.snapshots.at(-1)) === '10.42.0.99', 10_000);
      assert.equal(proxier.failures, 0, 'the failed sync was retried');

      // kube-proxy's figures: every sync, the changes seen and the failure.
      await proxy.idle();
      const text = await proxy.metrics.render();
      const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 'NaN');
      assert.equal(value('kubeproxy_sync_proxy_rules_duration_seconds_count'), proxier.snapshots.length);
      assert.ok(value('kubeproxy_sync_proxy_rules_last_timestamp_seconds') > 0, text);
      assert.ok(value('kubeproxy_sync_proxy_rules_endpoint_changes_total') >= 22, text);
      assert.ok(value('kubeproxy_sync_proxy_rules_service_changes_total') >= 1, text);
      assert.equal(value('kubeproxy_sync_proxy_rules_errors_total'), 1);
    } finally {
      proxy.stop();
      stop.abort();
      await informers.stopped();
    }
  });

  void it('follows its own node\'s zone label for topology hints', async () => {
    const api = new FakeApi();
    const hinted = (ip: string, zone: string) => ({ addresses: [ip], conditions: { ready: true }, hints: { forZones: [{ name: zone }] } });
    api.items.set('services', [service]);
    api.items.set('endpointslices', [{ ...slice('10.42.0.2'), endpoints: [hinted('10.42.0.2', 'a'), hinted('10.42.1.2', 'b')] }]);
    const node = (zone: string): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': zone } } });
    api.items.set('nodes', [node('a'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2', labels: { 'topology.kubernetes.io/zone': 'b' } } }]);
    const informers = new SharedInformerFactory({ client: api.client(), log: newLogger('test') });
    const proxier = new RecordingProxier();
    const proxy = new ServiceProxy({ informers, proxier, nodeName: 'n1', nodeIPs: ['192.0.2.2'], clusterCidr: '10.42.0.0/16', minSyncPeriodMs: 10, syncPeriodMs: 0, log: newLogger('test') });
    const stop = new AbortController();
    informers.start(stop.signal);
    proxy.start();
    const zoneOf = (s: ProxySnapshot | undefined): string | undefined => s?.servicePorts[0]?.topologyZone;
    try {
      await eventually(() => zoneOf(proxier.snapshots.at(-1)) === 'a', 5_000);
      api.modify('nodes', node('b'));
      await eventually(() => zoneOf(proxier.snapshots.at(-1)) === 'b', 5_000);
    } finally {
      proxy.stop();
      stop.abort();
      await informers.stopped();
    }
  });
});
