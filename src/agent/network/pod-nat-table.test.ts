import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { podNatTable } from './pod-nat-table.js';

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
  });
});
