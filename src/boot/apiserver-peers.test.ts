import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { KubeObject } from '../api/meta/types.js';
import { endpointsSubsets, INGRESS_ANNOTATION, liveIngressAddresses, parseAddress } from './apiserver-peers.js';

void describe('API server peers', () => {
  void it('groups servers by port into Endpoints subsets, sorted', () => {
    assert.deepEqual(endpointsSubsets([{ ip: '10.0.0.2', port: 6443 }, { ip: '10.0.0.1', port: 6443 }, { ip: '127.0.0.1', port: 7000 }]), [
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] },
      { addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 7000, protocol: 'TCP' }] },
    ]);
  });

  void it('reads ip:port annotations, IPv6 in brackets', () => {
    assert.deepEqual(parseAddress('10.0.0.1:6443'), { ip: '10.0.0.1', port: 6443 });
    assert.deepEqual(parseAddress('[fd00::1]:6443'), { ip: 'fd00::1', port: 6443 });
    assert.equal(parseAddress('10.0.0.1'), undefined);
    assert.equal(parseAddress(undefined), undefined);
  });

  void it('lists the Ingress addresses of the servers whose identity Lease is fresh, sorted and once each', () => {
    const now = Date.parse('2026-12-06T10:00:00Z');
    const lease = (name: string, renewedSecondsAgo: number, ingress?: string, label = 'kube-apiserver'): KubeObject => ({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name, namespace: 'kube-system', labels: { 'apiserver.kubernetes.io/identity': label }, annotations: ingress === undefined ? {} : { [INGRESS_ANNOTATION]: ingress } },
      spec: { holderIdentity: name, leaseDurationSeconds: 15, renewTime: new Date(now - renewedSecondsAgo * 1000).toISOString().replace('Z', '000Z') },
    });
    const leases = [
      lease('c', 1, '10.0.0.3'),
      lease('a', 5, '10.0.0.1'),
      lease('b', 14, '10.0.0.2,ingress.example'),
      lease('dead', 16, '10.0.0.9'), // stale: renewed longer ago than its duration
      lease('no-ingress', 1), // runs with --disable ingress
      lease('dup', 2, '10.0.0.1'),
      lease('other', 1, '10.0.0.8', 'something-else'),
    ];
    assert.deepEqual(liveIngressAddresses(leases, now), ['10.0.0.1', '10.0.0.2', '10.0.0.3', 'ingress.example']);
    assert.deepEqual(liveIngressAddresses([], now), []);
  });
});
