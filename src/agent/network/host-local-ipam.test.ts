import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { HostLocalIpam } from './host-local-ipam.js';

void describe('HostLocalIpam', () => {
  const root = mkdtempSync(join(tmpdir(), 'tkube-ipam-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const fresh = (): string => join(root, String(n++));

  void it('hands out addresses from network + 2, one per sandbox, the same one when asked again', () => {
    const ipam = new HostLocalIpam(fresh(), '10.42.3.0/24');
    assert.equal(ipam.allocate('a'), '10.42.3.2');
    assert.equal(ipam.allocate('b'), '10.42.3.3');
    assert.equal(ipam.allocate('a'), '10.42.3.2');
    assert.equal(ipam.addressOf('b'), '10.42.3.3');
    assert.deepEqual([...ipam.allocations()], [['a', '10.42.3.2'], ['b', '10.42.3.3']]);
  });

  void it('releases addresses (unknown sandboxes are a no-op) and hands them out again', () => {
    const ipam = new HostLocalIpam(fresh(), '10.42.0.0/30');
    assert.equal(ipam.allocate('a'), '10.42.0.2');
    ipam.release('nobody');
    ipam.release('a');
    assert.equal(ipam.addressOf('a'), undefined);
    assert.equal(ipam.allocate('b'), '10.42.0.2');
  });

  void it('says which range is full when it is', () => {
    const ipam = new HostLocalIpam(fresh(), '10.42.0.0/29');
    for (const id of ['a', 'b', 'c', 'd', 'e']) ipam.allocate(id);
    assert.throws(() => ipam.allocate('f'), /Cannot allocate pod IP: all 5 addresses of the node's pod CIDR 10\.42\.0\.0\/29 are in use/);
    assert.equal(ipam.allocate('c'), '10.42.0.4');
  });

  void it('keeps its record on disk: a new instance knows every address and hands out none twice', () => {
    const dir = fresh();
    const first = new HostLocalIpam(dir, '10.42.7.0/24');
    first.allocate('a');
    first.allocate('b');
    first.allocate('c');
    first.release('b');
    const files = readdirSync(join(dir, '10.42.7.0_24')).sort();
    assert.deepEqual(files, ['10.42.7.2', '10.42.7.4']);
    assert.equal(readFileSync(join(dir, '10.42.7.0_24', '10.42.7.4'), 'utf8'), 'c');
    const second = new HostLocalIpam(dir, '10.42.7.0/24');
    assert.equal(second.allocate('c'), '10.42.7.4');
    assert.equal(second.allocate('a'), '10.42.7.2');
    const d = second.allocate('d');
    assert.ok(!['10.42.7.2', '10.42.7.4'].includes(d), d);
    // Another range on the same dir starts empty.
    assert.equal(new HostLocalIpam(dir, '10.42.8.0/24').allocate('x'), '10.42.8.2');
  });

  void it('refuses a range that cannot hold pods', () => {
    assert.throws(() => new HostLocalIpam(fresh(), '10.42.0.0/31'), /too small for pods/);
    assert.throws(() => new HostLocalIpam(fresh(), 'fd00::/127'), /too small for pods/);
    assert.throws(() => new HostLocalIpam(fresh(), 'fd00::zz/64'), /want a range like 10.42.0.0\/24 or fd00:42::\/64/);
  });

  void it('hands out IPv6 addresses of a dual-stack node\'s /64 and finds them again after a restart', () => {
    const dir = fresh();
    const ipam = new HostLocalIpam(dir, 'fd00:42:0:ff::/64');
    assert.equal(ipam.allocate('a'), 'fd00:42:0:ff::2');
    assert.equal(ipam.allocate('b'), 'fd00:42:0:ff::3');
    const again = new HostLocalIpam(dir, 'fd00:42:0:ff::/64');
    assert.equal(again.addressOf('b'), 'fd00:42:0:ff::3');
    assert.equal(again.allocate('c'), 'fd00:42:0:ff::4');
  });
});
