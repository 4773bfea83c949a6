/**
 * NftablesProxier against the real nft, in a network namespace of the test's own (root and nft needed): an
 * incremental sync leaves exactly the table a whole write of the same snapshot makes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { ProxyServicePort, ProxySnapshot } from '../proxy-state.js';
import { NftablesProxier, proxyTableName } from './nftables-proxier.js';
import { nftHostMissing } from '../../../test/harness/host-tools.js';

const sp = (i: number, n: number, extra: Partial<ProxyServicePort> = {}): ProxyServicePort => ({
  key: `ns/s${i}:http`,
  namespace: 'ns',
  name: `s${i}`,
  portName: 'http',
  protocol: i % 2 === 0 ? 'TCP' : 'UDP',
  clusterIPs: [`10.43.0.${i}`],
  port: 80,
  externalIPs: [],
  loadBalancerIPs: [],
  externalTrafficPolicyLocal: false,
  internalTrafficPolicyLocal: false,
  endpoints: Array.from({ length: n }, (_, j) => ({ ip: `10.42.${i}.${j + 2}`, port: 8080, ready: true, serving: true, terminating: false, isLocal: j === 0 })),
  ...extra,
});
const snap = (servicePorts: ProxyServicePort[]): ProxySnapshot => ({ nodeName: 'n', nodeIPs: [], clusterCidr: '10.42.0.0/16', servicePorts });

void describe('NftablesProxier with nft', { skip: nftHostMissing() }, () => {
  const netns = `tkube-nftp-${process.pid}`;
  const table = proxyTableName('unit-test');
  const list = (): string => execFileSync('ip', ['netns', 'exec', netns, 'nft', 'list', 'table', 'ip', table]).toString();
  before(() => execFileSync('ip', ['netns', 'add', netns]));
  after(() => execFileSync('ip', ['netns', 'del', netns]));

  void it('writes whole, then incrementally, to the same result as a whole write', async () => {
    const p = new NftablesProxier({ table, netns });
    const first = snap([sp(1, 3, { nodePort: 30001, sessionAffinitySeconds: 60 }), sp(2, 2, { externalIPs: ['198.51.100.1'] }), sp(3, 0, { nodePort: 30003 })]);
    await p.sync(first);
    assert.equal(p.lastSyncWasFull, true);
    const second = snap([sp(1, 2, { nodePort: 30001, sessionAffinitySeconds: 60 }), sp(3, 1, { nodePort: 30003, externalTrafficPolicyLocal: true }), sp(4, 2, { loadBalancerIPs: ['203.0.113.4'], nodePort: 30004, loadBalancerSourceRanges: ['192.0.2.0/24', '198.51.100.7/32'] })]);
    await p.sync(second);
    assert.equal(p.lastSyncWasFull, false);
    const incremental = list();
    const fresh = new NftablesProxier({ table, netns });
    await fresh.sync(second);
    assert.equal(fresh.lastSyncWasFull, true);
    assert.equal(list(), incremental);
    await fresh.close();
    assert.match(incremental, /tcp \. 30004 : goto ext-/);
    assert.match(incremental, /203\.0\.113\.4 \. tcp \. 80 : goto fw-/);
    assert.match(incremental, /ip saddr != \{ 192\.0\.2\.0\/24, 198\.51\.100\.7 \} drop/);
    await p.cleanup();
    assert.doesNotMatch(execFileSync('ip', ['netns', 'exec', netns, 'nft', 'list', 'tables']).toString(), new RegExp(table));
    await p.cleanup(); // no-op when gone
  });

  void it('programs an IPv6 snapshot into an ip6 table of the same name, whole and incrementally; clean-up takes both', async () => {
    const v6 = (i: number, n: number, extra: Partial<ProxyServicePort> = {}): ProxyServicePort => ({
      ...sp(i, n, extra),
      clusterIPs: [`fd00:43::${i}`],
      endpoints: Array.from({ length: n }, (_, j) => ({ ip: `fd00:42:0:${i}::${j + 2}`, port: 8080, ready: true, serving: true, terminating: false, isLocal: j === 0 })),
    });
    const snap6 = (servicePorts: ProxyServicePort[]): ProxySnapshot => ({ nodeName: 'n', nodeIPs: [], clusterCidr: 'fd00:42::/56', family: 'IPv6', servicePorts });
    const p4 = new NftablesProxier({ table, netns });
    const p6 = new NftablesProxier({ table, netns });
    await p4.sync(snap([sp(2, 1)]));
    await p6.sync(snap6([v6(1, 2, { nodePort: 30011, sessionAffinitySeconds: 30 }), v6(2, 1)]));
    await p6.sync(snap6([v6(1, 1, { nodePort: 30011, sessionAffinitySeconds: 30 }), v6(2, 0), v6(4, 1)]));
    assert.equal(p6.lastSyncWasFull, false);
    const six = execFileSync('ip', ['netns', 'exec', netns, 'nft', 'list', 'table', 'ip6', table]).toString();
    assert.match(six, /fd00:43::4 \. tcp \. 80 : goto svc-/);
    assert.match(six, /dnat to \[fd00:42:0:4::2\]:8080/);
    assert.match(six, /fd00:43::2 \. tcp \. 80 : goto reject-chain/);
    assert.match(list(), /10\.43\.0\.2 \. tcp \. 80/, 'the IPv4 table is untouched');
    await p4.cleanup();
    await p6.close();
    assert.doesNotMatch(execFileSync('ip', ['netns', 'exec', netns, 'nft', 'list', 'tables']).toString(), new RegExp(table));
  });

  void it('reports a missing nft as a plain error', async () => {
    const p = new NftablesProxier({ table, netns, nftPath: '/nonexistent/nft' });
    await assert.rejects(p.sync(snap([sp(2, 1)])), /nft/);
  });
});
