import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CidrSet } from './cidr-set.js';

void describe('CidrSet', () => {
  void it('hands out the highest free /24 of a /16, reuses released ones, and knows its own subnets', () => {
    const set = new CidrSet('10.42.0.0/16', 24);
    assert.equal(set.size, 256);
    assert.equal(set.occupy('10.42.255.0/24'), true);
    assert.equal(set.occupy('10.42.253.0/24'), true);
    assert.equal(set.allocate(), '10.42.254.0/24');
    assert.equal(set.allocate(), '10.42.252.0/24');
    set.release('10.42.254.0/24');
    assert.equal(set.allocate(), '10.42.254.0/24');
    assert.equal(set.occupy('10.99.0.0/24'), false);
    assert.equal(set.occupy('10.42.5.0/25'), false);
  });
  void it('reports exhaustion and refuses impossible masks', () => {
    const set = new CidrSet('192.168.0.0/30', 30);
    assert.equal(set.allocate(), '192.168.0.0/30');
    assert.equal(set.allocate(), undefined);
    assert.throws(() => new CidrSet('10.42.0.0/16', 8), /mask must lie between \/16 and \/30/);
    assert.throws(() => new CidrSet('10.42.0/16', 24), /Cannot parse CIDR/);
  });
});

void describe('CidrSet (IPv6)', () => {
  void it('cuts /64s of an IPv6 range, highest first, and keeps families apart', () => {
    const set = new CidrSet('fd00:42::/56', 64);
    assert.equal(set.family, 'IPv6');
    assert.equal(set.size, 256);
    assert.equal(set.allocate(), 'fd00:42:0:ff::/64');
    assert.equal(set.occupy('fd00:42:0:fe::/64'), true);
    assert.equal(set.allocate(), 'fd00:42:0:fd::/64');
    assert.equal(set.occupy('10.42.0.0/24'), false);
    assert.equal(set.occupy('fd00:43::/64'), false);
    assert.throws(() => new CidrSet('fd00:42::/40', 64), /more than 2\^20 subnets/);
  });
});
