import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cidrContains, cidrOfFamily, formatCidr, parseCidr, parseCidrList } from './cidr.js';
import { canonicalIP, formatIP, parseIP } from './ip-address.js';

void describe('IP addresses of both families', () => {
  void it('parses and prints IPv4 and IPv6 canonically (RFC 5952)', () => {
    assert.equal(canonicalIP('10.43.0.1'), '10.43.0.1');
    assert.equal(canonicalIP('FD00:0043:0:0:0:0:0:1'), 'fd00:43::1');
    assert.equal(canonicalIP('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.equal(canonicalIP('::'), '::');
    assert.equal(canonicalIP('::ffff:10.0.0.1'), '::ffff:a00:1');
    assert.equal(canonicalIP('fd00::1:2:3:4:5:6'), 'fd00:0:1:2:3:4:5:6');
    assert.equal(parseIP('10.0.0.256'), undefined);
    assert.equal(parseIP('fd00::g'), undefined);
    assert.equal(formatIP({ family: 'IPv6', value: (0xfd00n << 112n) + 10n }), 'fd00::a');
  });
});

void describe('CIDR ranges', () => {
  void it('clears host bits and knows membership across families', () => {
    const v6 = parseCidr('fd00:42::1/56');
    assert.equal(formatCidr(v6), 'fd00:42::/56');
    assert.ok(cidrContains(v6, parseIP('fd00:42:0:ff::9') ?? assert.fail()));
    assert.ok(!cidrContains(v6, parseIP('fd00:42:1::1') ?? assert.fail()));
    assert.ok(!cidrContains(parseCidr('10.42.0.0/16'), parseIP('fd00:42::1') ?? assert.fail()));
    assert.throws(() => parseCidr('fd00::/129'), /prefix length is above 128/);
  });

  void it('reads dual-stack lists: one or two ranges, one per family', () => {
    assert.deepEqual(parseCidrList('10.42.0.0/16, fd00:42::/56', '--cluster-cidr').map(formatCidr), ['10.42.0.0/16', 'fd00:42::/56']);
    assert.throws(() => parseCidrList('10.42.0.0/16,10.43.0.0/16', '--cluster-cidr'), /^Error: invalid --cluster-cidr "10.42.0.0\/16,10.43.0.0\/16": the two ranges must be one IPv4 and one IPv6$/);
    assert.throws(() => parseCidrList('10.42.0.0/16,fd00::/56,fd01::/56', '--service-cidr'), /at most two ranges/);
    assert.throws(() => parseCidrList('10.42.0.0/16,', '--service-cidr'), /want one range, or two/);
    assert.throws(() => parseCidrList('10.42.0.0', '--service-cidr'), /"10.42.0.0" is not a CIDR range/);
    assert.equal(cidrOfFamily('fd00:42::/56,10.42.0.0/16', 'IPv4'), '10.42.0.0/16');
    assert.equal(cidrOfFamily('10.42.0.0/16', 'IPv6'), undefined);
  });
});
