import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { podNatTable } from './pod-nat-table.js';
import { nftHostMissing } from '../../../test/harness/host-tools.js';

const scripts: string[] = [];

void describe('podNatTable', () => {
  void it('recreates the whole table in one script: hostPort DNAT, hairpin, localhost and cluster masquerade', () => {
    const text = podNatTable({
      table: 'tkube-n1',
      clusterCidr: '10.42.0.0/16',
      pods: [
        { ip: '10.42.0.2', portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 8080 }, { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIP: '192.0.2.2' }, { protocol: 'TCP', containerPort: 9000 }] },
        { ip: '10.42.0.3', portMappings: [] },
      ],
    });
    scripts.push(text);
    const lines = text.split('\n').map((l) => l.trim());
    assert.deepEqual(lines.slice(0, 3), ['table ip tkube-n1 {}', 'flush table ip tkube-n1', 'table ip tkube-n1 {']);
    assert.ok(lines.includes('tcp dport 8080 dnat to 10.42.0.2:80'));
    assert.ok(lines.includes('ip daddr 192.0.2.2 udp dport 5353 dnat to 10.42.0.2:53'));
    assert.ok(!text.includes('9000'), 'a port without hostPort is not published');
    assert.ok(lines.includes('ip saddr 10.42.0.2 ip daddr 10.42.0.2 ct status dnat masquerade'));
    assert.ok(!text.includes('10.42.0.3'));
    assert.ok(lines.includes('ip saddr 127.0.0.0/8 ct status dnat masquerade'));
    assert.ok(lines.includes('ip saddr 10.42.0.0/16 ip daddr != 10.42.0.0/16 masquerade'));
    assert.equal(lines.filter((l) => l === 'fib daddr type local jump hostports').length, 2);
    assert.match(text, /table ip6 tkube-n1 \{\}\ndelete table ip6 tkube-n1\n$/, 'single-stack: no ip6 table (a stale one goes)');
  });

  void it('dual-stack: an ip6 table of the same name masquerades IPv6 leaving the cluster and publishes hostPorts per family', () => {
    const text = podNatTable({
      table: 'tkube-n1',
      clusterCidr: '10.42.0.0/16',
      clusterCidrV6: 'fd00:42::/56',
      pods: [
        {
          ip: '10.42.0.2',
          ip6: 'fd00:42::2',
          portMappings: [
            { protocol: 'TCP', containerPort: 80, hostPort: 8080 },
            { protocol: 'TCP', containerPort: 81, hostPort: 8081, hostIP: '::' },
            { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIP: '192.0.2.2' },
            { protocol: 'TCP', containerPort: 443, hostPort: 8443, hostIP: 'fd00::2' },
          ],
        },
        { ip: '10.42.0.3', portMappings: [{ protocol: 'TCP', containerPort: 80, hostPort: 9090 }] },
      ],
    });
    scripts.push(text);
    const v4 = text.slice(0, text.indexOf('table ip6')).split('\n').map((l) => l.trim());
    const v6 = text.slice(text.indexOf('table ip6')).split('\n').map((l) => l.trim());
    assert.deepEqual(v6.slice(0, 3), ['table ip6 tkube-n1 {}', 'flush table ip6 tkube-n1', 'table ip6 tkube-n1 {']);
    // Without a hostIP (or with "::"): both families; with one: that family only.
    assert.ok(v4.includes('tcp dport 8080 dnat to 10.42.0.2:80') && v6.includes('tcp dport 8080 dnat to [fd00:42::2]:80'));
    assert.ok(v4.includes('tcp dport 8081 dnat to 10.42.0.2:81') && v6.includes('tcp dport 8081 dnat to [fd00:42::2]:81'));
    assert.ok(v4.includes('ip daddr 192.0.2.2 udp dport 5353 dnat to 10.42.0.2:53') && !v6.join('\n').includes('5353'));
    assert.ok(v6.includes('ip6 daddr fd00::2 tcp dport 8443 dnat to [fd00:42::2]:443') && !v4.join('\n').includes('8443'));
    // A pod without an IPv6 address is published on IPv4 only.
    assert.ok(v4.includes('tcp dport 9090 dnat to 10.42.0.3:80') && !v6.join('\n').includes('9090'));
    assert.ok(v6.includes('ip6 saddr fd00:42::2 ip6 daddr fd00:42::2 ct status dnat masquerade'));
    assert.ok(v6.includes('ip6 saddr fd00:42::/56 ip6 daddr != fd00:42::/56 masquerade'));
    assert.ok(!v6.join('\n').includes('127.0.0.0/8'), 'no loopback case for IPv6');
    assert.equal(v6.filter((l) => l === 'fib daddr type local jump hostports').length, 2);
  });

  void it('writes scripts the real nft accepts', { skip: nftHostMissing() }, () => {
    assert.equal(scripts.length, 2);
    for (const script of scripts) execFileSync('nft', ['-c', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
  });
});
