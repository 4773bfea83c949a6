import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { KubeObject } from '../api/meta/types.js';
import { FakeClock } from '../base/clock/clock.js';
import { newLogger } from '../base/log/logger.js';
import type { KubeletAddress, KubeletSummary } from './kubelet-summary.js';
import { MetricsStore } from './metrics-store.js';
import { kubeletAddressOf, Scraper } from './scraper.js';

function node(name: string, opts: { ready?: boolean; simulated?: boolean; ip?: string; port?: number } = {}): KubeObject {
  return {
    metadata: { name, labels: opts.simulated ? { 'node.tkube.io/runtime': 'simulated' } : { 'node.tkube.io/runtime': 'runc' } },
    status: {
      conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }],
      addresses: opts.ip === '' ? [] : [{ type: 'InternalIP', address: opts.ip ?? '10.0.0.1' }],
      daemonEndpoints: { kubeletEndpoint: { Port: opts.port ?? 10250 } },
    },
  };
}

void describe('Scraper', () => {
  void it('finds the kubelet of Ready, real nodes only', () => {
    assert.deepEqual(kubeletAddressOf(node('a', { port: 12345 })), { host: '10.0.0.1', port: 12345 });
    assert.deepEqual(kubeletAddressOf(node('a', { ip: 'fd00::1' })), { host: '[fd00::1]', port: 10250 });
    assert.equal(kubeletAddressOf(node('a', { ready: false })), 'the node is not Ready');
    assert.equal(kubeletAddressOf(node('a', { simulated: true })), 'the node is simulated');
    assert.equal(kubeletAddressOf(node('a', { ip: '' })), 'the node reports no InternalIP address');
  });

  void it('scrapes every resolution and turns cumulative CPU into a rate (fake clock)', async () => {
    const clock = new FakeClock();
    const store = new MetricsStore();
    const calls: KubeletAddress[] = [];
    let down = false;
    // A container burning a quarter core: 250 ms of CPU per second of clock time.
    const fetch = async (address: KubeletAddress): Promise<KubeletSummary> => {
      calls.push(address);
      if (down) throw new Error('connection refused');
      const time = new Date(clock.now()).toISOString();
      const cpuNs = (clock.now() - Date.UTC(2026, 0, 1)) * 250_000;
      return {
        node: { nodeName: 'a', cpu: { time, usageCoreNanoSeconds: cpuNs * 4 }, memory: { time, workingSetBytes: 1024 } },
        pods: [{ podRef: { name: 'p', namespace: 'ns' }, containers: [{ name: 'c', cpu: { time, usageCoreNanoSeconds: cpuNs }, memory: { time, workingSetBytes: 4096 } }] }],
      };
    };
    const pod: KubeObject = { metadata: { name: 'p', namespace: 'ns', labels: { app: 'p' } } };
    const scraper = new Scraper({
      targets: { nodes: () => [node('a'), node('b', { ready: false }), node('c', { simulated: true })], pod: (ns, name) => (ns === 'ns' && name === 'p' ? pod : undefined) },
      fetch,
      store,
      clock,
      resolutionMs: 1000,
      log: newLogger('scraper-test'),
    });
    scraper.start();
    clock.advance(0);
    await flush();
    assert.equal(calls.length, 1, 'only the Ready, real node is scraped');
    assert.deepEqual(store.pods(), [], 'one sample gives no rate');
    clock.advance(1000);
    await flush();
    assert.equal(calls.length, 2);
    assert.deepEqual(store.nodes()[0]?.usage, { cpu: '1', memory: '1Ki' });
    assert.deepEqual(store.pods()[0]?.containers, [{ name: 'c', usage: { cpu: '250m', memory: '4Ki' } }]);
    assert.deepEqual(store.pods()[0]?.metadata?.labels, { app: 'p' });
    // A kubelet that stops answering takes its figures with it.
    down = true;
    clock.advance(1000);
    await flush();
    assert.deepEqual(store.nodes(), []);
    assert.deepEqual(store.pods(), []);
    await scraper.stop();
    clock.advance(5000);
    await flush();
    assert.equal(calls.length, 3, 'no round after stop');
  });
});
