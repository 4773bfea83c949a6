import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { staleUdpFlows } from './conntrack-cleanup.js';
import type { ProxyServicePort, ProxySnapshot } from './proxy-state.js';

const sp = (key: string, protocol: 'UDP' | 'TCP', ips: string[], extra: Partial<ProxyServicePort> = {}): ProxyServicePort => ({
  key,
  namespace: 'ns',
  name: key,
  portName: '',
  protocol,
  clusterIPs: ['10.43.0.10'],
  port: 53,
  externalIPs: [],
  loadBalancerIPs: [],
  externalTrafficPolicyLocal: false,
  internalTrafficPolicyLocal: false,
  endpoints: ips.map((ip) => ({ ip, port: 53, ready: true, serving: true, terminating: false, isLocal: true })),
  ...extra,
});
const snap = (...servicePorts: ProxyServicePort[]): ProxySnapshot => ({ nodeName: 'n', nodeIPs: [], clusterCidr: '10.42.0.0/16', servicePorts });

void describe('staleUdpFlows', () => {
  void it('deletes UDP flows to endpoints that went, on every Service address and the node port', () => {
    const prev = snap(sp('dns', 'UDP', ['10.42.0.2', '10.42.0.3'], { nodePort: 30053, externalIPs: ['198.51.100.1'] }), sp('web', 'TCP', ['10.42.0.9']));
    const next = snap(sp('dns', 'UDP', ['10.42.0.3'], { nodePort: 30053, externalIPs: ['198.51.100.1'] }));
    assert.deepEqual(staleUdpFlows(prev, next), [
      { origDst: '10.43.0.10', dport: 53, replySrc: '10.42.0.2' },
      { origDst: '198.51.100.1', dport: 53, replySrc: '10.42.0.2' },
      { dport: 30053, replySrc: '10.42.0.2' },
    ]);
  });

  void it('deletes rejected flows when a UDP Service gets its first endpoint, and nothing on the first sync', () => {
    assert.deepEqual(staleUdpFlows(snap(sp('dns', 'UDP', [])), snap(sp('dns', 'UDP', ['10.42.0.2']))), [{ origDst: '10.43.0.10', dport: 53 }]);
    assert.deepEqual(staleUdpFlows(undefined, snap(sp('dns', 'UDP', ['10.42.0.2']))), []);
    assert.deepEqual(staleUdpFlows(snap(sp('dns', 'UDP', ['10.42.0.2'])), snap(sp('dns', 'UDP', ['10.42.0.2']))), []);
  });
});
