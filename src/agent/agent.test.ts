/**
 * Agent against a fake API client: how many pod syncs it runs at once, and what a lease renewal reads.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeList, KubeObject } from '../api/meta/types.js';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import { SharedInformerFactory } from '../client/informer/shared-informer-factory.js';
import type { ResourcePath } from '../client/resource-path.js';
import type { RestClient, WatchEvent, WatchOptions } from '../client/rest-client.js';
import { Agent } from './agent.js';
import { SimulatedRuntime } from './simulated-runtime.js';
import { simulatedNodeSpecs } from './simulated-nodes.js';
import { until } from './testing/until.js';

/**
 * FakeApi answers the calls the agent makes: lists of the objects it was given, watches that stay open without
 * events, writes that succeed. Pod status patches wait until `releaseStatus`, so a test can count them in flight.
 */
class FakeApi {
  readonly calls: string[] = [];
  statusInFlight = 0;
  maxStatusInFlight = 0;
  #release: (() => void)[] = [];
  #releaseAll = false;

  constructor(readonly objects: Record<string, KubeObject[]>) {}

  releaseStatus(): void {
    this.#releaseAll = true;
    for (const r of this.#release.splice(0)) r();
  }

  client(): RestClient {
    const record = (verb: string, path: ResourcePath): void => void this.calls.push(`${verb} ${path.resource}${path.subresource ? `/${path.subresource}` : ''}`);
    const fake = {
      list: (path: ResourcePath): Promise<KubeList> => {
        record('list', path);
        return Promise.resolve({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '1' }, items: this.objects[path.resource] ?? [] } as KubeList);
      },
      // A watch that stays open, without events, until the informer stops.
      watch: (_path: ResourcePath, options: WatchOptions = {}): AsyncIterable<WatchEvent> => ({
        [Symbol.asyncIterator]: () => ({
          next: () =>
            new Promise<IteratorResult<WatchEvent>>((resolve) => {
              const done = (): void => resolve({ done: true, value: undefined });
              if (options.signal?.aborted) done();
              else options.signal?.addEventListener('abort', done, { once: true });
            }),
        }),
      }),
      get: (path: ResourcePath): Promise<KubeObject> => {
        record('get', path);
        return Promise.resolve({ metadata: { name: path.name }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
      },
      create: (path: ResourcePath, body: KubeObject): Promise<KubeObject> => {
        record('create', path);
        return Promise.resolve({ ...body, metadata: { ...body.metadata, uid: `uid-${body.metadata?.name ?? ''}` } });
      },
      patch: async (path: ResourcePath): Promise<KubeObject> => {
        record('patch', path);
        if (path.resource === 'pods' && path.subresource === 'status') {
          this.statusInFlight++;
          this.maxStatusInFlight = Math.max(this.maxStatusInFlight, this.statusInFlight);
          if (!this.#releaseAll) await new Promise<void>((r) => this.#release.push(r));
          this.statusInFlight--;
        }
        return { metadata: { name: path.name } };
      },
      delete: (path: ResourcePath): Promise<KubeObject> => {
        record('delete', path);
        return Promise.resolve({});
      },
    };
    return fake as unknown as RestClient;
  }
}

function boundPod(i: number, node: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${i}`, namespace: 'default', uid: `pod-uid-${i}` }, spec: { nodeName: node, containers: [{ name: 'app', image: 'pause' }] } } as KubeObject;
}

void describe('Agent', () => {
  void it('syncs the pods of many nodes at once: a worker per node, not a fixed pool of 16', async () => {
    const specs = simulatedNodeSpecs(40);
    const api = new FakeApi({ pods: specs.map((s, i) => boundPod(i, s.name)) });
    const clock = new FakeClock();
    const runtime = new SimulatedRuntime({ clock });
    const agent = new Agent({ client: api.client(), nodes: specs, runtimeFor: () => runtime, clock, log: newLogger('agent-test') });
    await agent.start();
    try {
      await until('40 status writes in flight', () => (api.statusInFlight === 40 ? true : undefined), 10_000);
      assert.equal(api.maxStatusInFlight, 40);
    } finally {
      api.releaseStatus();
      await agent.stop();
    }
  });

  void it('reads each Node from the shared nodes informer when it renews leases, without a GET per node', async () => {
    const specs = simulatedNodeSpecs(3);
    const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
    const api = new FakeApi({ pods: [], nodes: specs.map((s) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: s.name }, status: ready }) as KubeObject) });
    api.releaseStatus();
    const clock = new FakeClock();
    const runtime = new SimulatedRuntime({ clock });
    const informers = new SharedInformerFactory({ client: api.client(), clock, log: newLogger('agent-test') });
    const stop = new AbortController();
    const agent = new Agent({ client: api.client(), nodes: specs, runtimeFor: () => runtime, clock, log: newLogger('agent-test'), informers });
    informers.start(stop.signal);
    try {
      assert.equal(await informers.waitForCacheSync(), true);
      await agent.start();
      const leasesBefore = api.calls.filter((c) => c === 'patch leases').length;
      clock.advance(10_000);
      await until('3 lease renewals', () => (api.calls.filter((c) => c === 'patch leases').length === leasesBefore + 3 ? true : undefined), 10_000);
      assert.deepEqual(api.calls.filter((c) => c === 'get nodes'), []);
    } finally {
      await agent.stop();
      stop.abort();
      await informers.stopped();
    }
  });
});
