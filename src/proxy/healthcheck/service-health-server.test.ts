import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newLogger } from '../../base/log/logger.js';
import type { ProxyEndpoint, ProxyServicePort, ProxySnapshot } from '../proxy-state.js';
import { healthChecksOf, healthResponse, ServiceHealthServer } from './service-health-server.js';

const ep = (ip: string, extra: Partial<ProxyEndpoint> = {}): ProxyEndpoint => ({ ip, port: 8080, ready: true, serving: true, terminating: false, isLocal: true, ...extra });
const sp = (portName: string, endpoints: ProxyEndpoint[], extra: Partial<ProxyServicePort> = {}): ProxyServicePort => ({
  key: `ns/web:${portName}`, namespace: 'ns', name: 'web', portName, protocol: 'TCP', clusterIPs: ['10.43.0.5'], port: 80, externalIPs: [], loadBalancerIPs: [],
  externalTrafficPolicyLocal: true, internalTrafficPolicyLocal: false, endpoints, ...extra,
});
const snap = (servicePorts: ProxyServicePort[]): ProxySnapshot => ({ nodeName: 'n1', nodeIPs: ['127.0.0.1'], clusterCidr: '10.42.0.0/16', servicePorts });

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

void describe('ServiceHealthServer', () => {
  void it('counts the distinct ready local endpoint addresses over all ports of the Service', () => {
    const checks = healthChecksOf(snap([
      sp('http', [ep('10.42.0.2'), ep('10.42.0.3'), ep('10.42.1.2', { isLocal: false }), ep('10.42.0.4', { ready: false })], { healthCheckNodePort: 31000 }),
      sp('https', [ep('10.42.0.2'), ep('10.42.0.5')], { healthCheckNodePort: 31000 }),
      sp('other', [ep('10.42.0.9')]),
    ]));
    assert.deepEqual([...checks], [[31000, { namespace: 'ns', name: 'web', localEndpoints: 3 }]]);
    assert.equal(healthResponse({ namespace: 'ns', name: 'web', localEndpoints: 3 }, true).status, 200);
    assert.equal(healthResponse({ namespace: 'ns', name: 'web', localEndpoints: 3 }, false).status, 503);
    const none = healthResponse({ namespace: 'ns', name: 'web', localEndpoints: 0 }, true);
    assert.equal(none.status, 503);
    assert.deepEqual(JSON.parse(none.body), { service: { namespace: 'ns', name: 'web' }, localEndpoints: 0, serviceProxyHealthy: true });
  });

  void it('answers 200/503 as local endpoints come and go, closes ports no longer wanted, and shares a busy port quietly', async () => {
    const port = await freePort();
    const server = new ServiceHealthServer({ addresses: ['127.0.0.1'], log: newLogger('test') });
    const other = new ServiceHealthServer({ addresses: ['127.0.0.1'], log: newLogger('test') });
    try {
      await server.sync(snap([sp('http', [ep('10.42.0.2')], { healthCheckNodePort: port })]));
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.equal(res.headers.get('x-load-balancing-endpoint-weight'), '1');
      assert.deepEqual(await res.json(), { service: { namespace: 'ns', name: 'web' }, localEndpoints: 1, serviceProxyHealthy: true });
      await other.sync(snap([sp('http', [ep('10.42.0.2')], { healthCheckNodePort: port })]));
      assert.deepEqual(other.listeners(), [], 'the port is taken: not served, not thrown');

      await server.sync(snap([sp('http', [ep('10.42.0.2', { isLocal: false })], { healthCheckNodePort: port })]));
      assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 503);
      server.setProxyHealthy(false);
      await server.sync(snap([sp('http', [ep('10.42.0.2')], { healthCheckNodePort: port })]));
      assert.equal((await fetch(`http://127.0.0.1:${port}/`)).status, 200, 'a successful sync makes the proxy healthy again');
      server.setProxyHealthy(false);
      const failing = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(failing.status, 503);
      assert.equal(((await failing.json()) as { serviceProxyHealthy: boolean }).serviceProxyHealthy, false);

      await server.sync(snap([sp('http', [ep('10.42.0.2')])]));
      assert.deepEqual(server.listeners(), []);
      await other.sync(snap([sp('http', [ep('10.42.0.2')], { healthCheckNodePort: port })]));
      assert.deepEqual(other.listeners(), [{ host: '127.0.0.1', port }], 'taken over once free');
    } finally {
      await server.stop();
      await other.stop();
    }
  });
});
