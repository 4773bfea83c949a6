import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toRouteNode } from './node-routes.js';

void describe('toRouteNode', () => {
  void it('reads the podCIDR, InternalIP, VTEP MAC annotation and whether the node is simulated', () => {
    assert.deepEqual(
      toRouteNode({
        metadata: { name: 'n1', annotations: { 'tkube.io/vtep-mac': '02:aa:bb:cc:dd:ee' } },
        spec: { podCIDR: '10.42.3.0/24' },
        status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '192.0.2.3' }] },
      }),
      { name: 'n1', podCidr: '10.42.3.0/24', internalIP: '192.0.2.3', vtepMac: '02:aa:bb:cc:dd:ee', simulated: false },
    );
    assert.equal(toRouteNode({ metadata: { name: 'sim-0', labels: { 'node.tkube.io/simulated': 'true' } } }).simulated, true);
    assert.deepEqual(toRouteNode({ metadata: { name: 'bare' } }), { name: 'bare', podCidr: undefined, internalIP: undefined, vtepMac: undefined, simulated: false });
  });
});
