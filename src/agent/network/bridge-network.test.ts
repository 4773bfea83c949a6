/** BridgeNetwork on the real host (root): sandboxes take warm namespaces, or get new ones when the pool is empty. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';

import { newLogger } from '../../base/log/logger.js';
import { BridgeNetwork, destroyBridgeNetwork, warmNetnsPrefix } from './bridge-network.js';
import { linkExists } from './ip-command.js';

const root = process.getuid?.() === 0;

void describe('BridgeNetwork warm namespaces', { skip: root ? false : 'needs root (makes a bridge and network namespaces)' }, () => {
  const id = process.pid % 100_000;
  const bridge = `tkbt${id}`;
  const table = `tkube-bridge-test-${process.pid}`;
  // A /24 of its own in a range no other test uses, so two runs side by side do not clash.
  const podCidr = `10.249.${process.pid % 250}.0/24`;
  const dir = mkdtempSync(join(tmpdir(), 'tkube-bridge-'));
  const coldNetns = `tkube-bt-${process.pid}`;
  after(async () => {
    await destroyBridgeNetwork({ bridge, table, podCidr });
    execFileSync('sh', ['-c', `ip netns delete ${coldNetns} 2>/dev/null; true`]);
    rmSync(dir, { recursive: true, force: true });
  });
  const netnsOfPool = (): string[] => readdirSync('/run/netns').filter((n) => n.startsWith(warmNetnsPrefix(bridge, table))).sort();
  const addresses = (netns: string): string => execFileSync('ip', ['-n', netns, '-o', 'addr', 'show', 'dev', 'eth0']).toString();

  void it('hands a sandbox a warm namespace with its address and route, makes one when the pool is empty, and leaves nothing after destroy', async () => {
    const network = new BridgeNetwork({ dir, podCidr, clusterCidr: '10.249.0.0/16', bridgeName: bridge, table, warmNetns: 1, log: newLogger('bridge-test') });
    await network.start();
    await network.warmFilled();
    assert.equal(network.warmNetns, 1);
    assert.equal(netnsOfPool().length, 1);

    const request = { podNamespace: 'default', podName: 'p', podUID: 'u', portMappings: [], createNetns: true } as const;
    const warm = await network.setUp({ ...request, sandboxId: 'sandbox-warm', netnsPath: '/run/netns/tkube-not-made' });
    assert.ok(warm.netnsPath?.startsWith(`/run/netns/${warmNetnsPrefix(bridge, table)}`), `took a warm namespace: ${String(warm.netnsPath)}`);
    assert.equal(existsSync('/run/netns/tkube-not-made'), false);
    const warmNs = basename(warm.netnsPath ?? '');
    assert.match(addresses(warmNs), new RegExp(`inet ${(warm.ips[0] ?? '').replace(/\./g, '\\.')}/24`));
    assert.match(execFileSync('ip', ['-n', warmNs, 'route', 'show', 'default']).toString(), new RegExp(`via ${network.gateway.replace(/\./g, '\\.')} dev eth0`));
    // IPv4 only: no IPv6 link-local on either end of the pod's veth (no probes flooded to every pod), ::1 kept.
    if (existsSync('/proc/sys/net/ipv6/conf/default')) {
      assert.doesNotMatch(addresses(warmNs), /inet6/);
      assert.match(execFileSync('ip', ['-n', warmNs, '-o', 'addr', 'show', 'dev', 'lo']).toString(), /inet6 ::1/);
      const hostVeth = /^\d+:\s*eth0@if(\d+)/m.exec(execFileSync('ip', ['-n', warmNs, '-o', 'link', 'show', 'dev', 'eth0']).toString())?.[1] ?? '';
      assert.notEqual(hostVeth, '', 'the host end of eth0 found');
      assert.doesNotMatch(execFileSync('ip', ['-o', 'addr', 'show']).toString().split('\n').filter((l) => l.startsWith(`${hostVeth}:`)).join('\n'), /inet6/);
    }

    // The refill runs in the background; a sandbox asking before it is done gets a namespace made on demand.
    const cold = await network.setUp({ ...request, sandboxId: 'sandbox-cold', netnsPath: `/run/netns/${coldNetns}` });
    if (cold.netnsPath === undefined) assert.match(addresses(coldNetns), new RegExp(`inet ${(cold.ips[0] ?? '').replace(/\./g, '\\.')}/24`));
    assert.notEqual(cold.ips[0], warm.ips[0]);

    await network.tearDown({ ...request, sandboxId: 'sandbox-warm', netnsPath: warm.netnsPath ?? '' });
    await network.warmFilled();
    await network.stop();
    assert.equal(network.warmNetns, 0);
    // The taken namespace is the sandbox's (the runtime deletes it); the free ones went with stop.
    assert.deepEqual(netnsOfPool(), [warmNs, ...(cold.netnsPath ? [basename(cold.netnsPath)] : [])].sort());
    assert.deepEqual(readdirSync(join(dir, 'warm')), []);

    await destroyBridgeNetwork({ bridge, table, podCidr });
    assert.deepEqual(netnsOfPool(), []);
    assert.equal(linkExists(bridge), false);
  });
});
