import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { endpointsSubsets, parseAddress } from './apiserver-peers.js';

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
});
