import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProxyEndpoint, ProxyServicePort, ProxySnapshot } from '../proxy-state.js';
import { staleUdpFlowFilters } from './stale-udp-flows.js';

function ep(ip: string, extra: Partial<ProxyEndpoint> = {}): ProxyEndpoint {
  return { ip, port: 53, ready: true, serving: true, terminating: false, isLocal: false, ...extra };
}

function dns(endpoints: ProxyEndpoint[], extra: Partial<ProxyServicePort> = {}): ProxyServicePort {
  return {
    key: 'kube-system/dns:dns', namespace: 'kube-system', name: 'dns', portName: 'dns', protocol: 'UDP', clusterIPs: ['10.96.0.10'], port: 53,
    externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false, endpoints, ...extra,
  };
}

function snap(...servicePorts: ProxyServicePort[]): ProxySnapshot {
  return { nodeName: 'n1', nodeIPs: [], clusterCidr: '10.244.0.0/16', servicePorts };
}

void describe('stale UDP flows', () => {
  void it('names the flows to endpoints that left, per service address and node port', () => {
    const before = snap(dns([ep('10.244.1.5'), ep('10.244.1.6')], { nodePort: 30053, externalIPs: ['1.2.3.4'] }));
    const after = snap(dns([ep('10.244.1.6'), ep('10.244.1.5', { ready: false })], { nodePort: 30053, externalIPs: ['1.2.3.4'] }));
    assert.deepEqual(staleUdpFlowFilters(before, after), [
      ['-D', '-p', 'udp', '--orig-dst', '10.96.0.10', '--orig-port-dst', '53', '--dst-nat', '10.244.1.5'],
      ['-D', '-p', 'udp', '--orig-dst', '1.2.3.4', '--orig-port-dst', '53', '--dst-nat', '10.244.1.5'],
      ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', '10.244.1.5'],
    ]);
  });

  void it('covers a removed service, and leaves TCP, unchanged endpoints and the first sync alone', () => {
    const before = snap(dns([ep('10.244.1.5')]), dns([ep('10.244.1.7')], { key: 'default/web:', protocol: 'TCP' }));
    assert.deepEqual(staleUdpFlowFilters(before, snap()).map((a) => a.at(-1)), ['10.244.1.5']);
    assert.deepEqual(staleUdpFlowFilters(before, before), []);
    assert.deepEqual(staleUdpFlowFilters(undefined, before), []);
  });

  void it('an IPv6 snapshot names its IPv6 flows, for conntrack -f ipv6', () => {
    const v6 = (endpoints: ProxyEndpoint[]): ProxySnapshot => ({ ...snap(dns(endpoints, { clusterIPs: ['fd43::a'], nodePort: 30053 })), clusterCidr: 'fd42::/56', family: 'IPv6' });
    assert.deepEqual(staleUdpFlowFilters(v6([ep('fd42::5'), ep('fd42::6')]), v6([ep('fd42::6')])), [
      ['-D', '-f', 'ipv6', '-p', 'udp', '--orig-dst', 'fd43::a', '--orig-port-dst', '53', '--dst-nat', 'fd42::5'],
      ['-D', '-f', 'ipv6', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', 'fd42::5'],
    ]);
  });
});
