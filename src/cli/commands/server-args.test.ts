import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';

import { serverArgs, serverFlagsFrom } from './server-args.js';
import { addServerFlags, type ServerFlags } from './server.js';

/** parse runs argv (without the leading "server") through the server's own flag declarations. */
function parse(argv: readonly string[]): { flags: ServerFlags; cmd: Command } {
  const cmd = addServerFlags(new Command('server')).exitOverride();
  cmd.parse([...argv], { from: 'user' });
  return { flags: cmd.opts<ServerFlags>(), cmd };
}

/** Every server flag with a value that is not its default (absolute paths: serverArgs makes paths absolute). */
const EVERY_FLAG = [
  '--data-dir', '/d', '--bind-address', '10.0.0.1', '--https-listen-port', '7443', '--write-kubeconfig', '/k.yaml',
  '--advertise-address', '10.0.0.2', '--tls-san', 'a.example,b.example', '--datastore-endpoint', 'https://e1:2379,https://e2:2379',
  '--datastore-cafile', '/ca.crt', '--datastore-certfile', '/c.crt', '--datastore-keyfile', '/c.key', '--service-cidr', '10.96.0.0/12,fd00:96::/112',
  '--cluster-cidr', '10.244.0.0/16,fd00:244::/56', '--node-cidr-mask-size-ipv6', '72', '--cluster-dns', '10.96.0.10', '--cluster-dns-port', '5353', '--cluster-domain', 'corp.local',
  '--disable-agent', '--no-kubeconfig-merge', '--compaction-interval', '1m', '--compaction-keep-revisions', '7', '--controllers', '*,-servicelb',
  '--operator', '/op.ts', '--enable-admission-plugins', 'AlwaysPullImages', '--disable-admission-plugins', 'LimitRanger',
  '--authorization-mode', 'AlwaysAllow', '--default-not-ready-toleration-seconds', '30', '--default-unreachable-toleration-seconds', '31',
  '--node-monitor-grace-period', '20s', '--metrics-scrape-interval', '5s', '--horizontal-pod-autoscaler-sync-period', '3s',
  '--horizontal-pod-autoscaler-downscale-stabilization', '0s', '--horizontal-pod-autoscaler-tolerance', '0.2',
  '--horizontal-pod-autoscaler-cpu-initialization-period', '1m', '--horizontal-pod-autoscaler-initial-readiness-delay', '10s',
  '--simulated-nodes', '3', '--components-process', 'separate', '--disable-scheduler', '--disable-controller-manager', '--disable', 'servicelb,dashboard', '--metrics-resolution', '30s',
  '--ingress-http-port', '8080', '--ingress-https-port', '8443', '--private-registry', '/reg.yaml', '--disable-default-registry-endpoint',
  '--container-runtime', 'process', '--container-runtime-endpoint', 'unix:///run/c.sock', '--pod-network', 'none', '--pod-bridge-name', 'br9',
  '--disable-network-policy', '--proxy-mode', 'iptables', '--proxy-min-sync-period', '1s', '--node-name', 'n1', '--kubelet-port', '11250',
  '--eviction-hard', 'memory.available<1Mi', '--container-log-max-size', '1Mi', '--container-log-max-files', '3',
  '--default-local-storage-path', '/storage', '--token-auth-file', '/tokens.csv', '--encryption-provider-config', '/enc.yaml',
  '--audit-policy-file', '/audit.yaml', '--audit-log-path', '-', '--audit-log-maxsize', '5', '--audit-log-maxbackup', '2',
  '--max-requests-inflight', '10', '--max-mutating-requests-inflight', '5', '--cluster-init', '--server', 'https://10.0.0.1:6443',
  '--etcd-client-port', '12379', '--etcd-peer-port', '12380', '--leader-elect-lease-duration', '9s', '--leader-elect-renew-deadline', '6s',
  '--leader-elect-retry-period', '1s', '--container-log-monitor-interval', '2s', '--token', 'S3CRET',
  '--datastore-quota-bytes', '1048576', '--write-kubeconfig-mode', '0644', '--node-label', 'zone=a,tier=web', '--node-taint', 'dedicated=db:NoSchedule', '--cluster-dns-metrics-port', '9153', '--audit-log-maxage', '7', '--disable-audit-log',
];

void describe('serverArgs', () => {
  void it('gives back every server flag: parsing its argv yields the same flags', () => {
    const { flags, cmd } = parse(EVERY_FLAG);
    // The list above must set every declared flag, so a flag added later without a mapping fails here.
    const defaults = parse([]).flags as unknown as Record<string, unknown>;
    const unset = cmd.options.map((o) => o.attributeName()).filter((k) => JSON.stringify((flags as unknown as Record<string, unknown>)[k]) === JSON.stringify(defaults[k]));
    assert.deepEqual(unset, [], 'EVERY_FLAG leaves these flags at their defaults');
    const args = serverArgs(flags);
    assert.equal(args[0], 'server');
    assert.deepEqual(parse(args.slice(1)).flags, flags);
  });

  void it('passes the defaults through unchanged and leaves unset optional flags out', () => {
    const { flags } = parse([]);
    const args = serverArgs(flags);
    assert.deepEqual(parse(args.slice(1)).flags, flags);
    assert.deepEqual(serverFlagsFrom([]), flags);
    for (const absent of ['--token', '--server', '--cluster-init', '--datastore-endpoint', '--advertise-address', '--disable-agent']) assert.ok(!args.includes(absent), absent);
  });

  void it('maps the HA flags of `up` and `init` onto the server', () => {
    const { flags } = parse(['--server', 'https://10.0.0.1:6443', '--token', 'T', '--etcd-client-port', '0']);
    const args = serverArgs(flags);
    assert.deepEqual(args.slice(args.indexOf('--server'), args.indexOf('--server') + 2), ['--server', 'https://10.0.0.1:6443']);
    assert.deepEqual(args.slice(-2), ['--token', 'T']);
    assert.ok(serverArgs(parse(['--cluster-init', '--token', 'T']).flags).includes('--cluster-init'));
    const ds = serverArgs(parse(['--datastore-endpoint', 'https://e1:2379', '--datastore-cafile', 'rel/ca.crt']).flags);
    assert.equal(ds[ds.indexOf('--datastore-endpoint') + 1], 'https://e1:2379');
    assert.match(ds[ds.indexOf('--datastore-cafile') + 1] ?? '', /^\/.*\/rel\/ca\.crt$/);
  });
});

void describe('dual-stack range flags', () => {
  void it('take one range or an IPv4 and an IPv6 one, and refuse the rest with one plain line', () => {
    const f = serverFlagsFrom(['--cluster-cidr', '10.42.0.0/16, FD00:42::/56', '--service-cidr', '10.43.0.0/16,fd00:43::/112']);
    assert.equal(f.clusterCidr, '10.42.0.0/16,fd00:42::/56');
    assert.equal(f.serviceCidr, '10.43.0.0/16,fd00:43::/112');
    assert.throws(() => serverFlagsFrom(['--service-cidr', '10.43.0.0/16,10.44.0.0/16']), { name: 'CliError', message: 'invalid --service-cidr "10.43.0.0/16,10.44.0.0/16": the two ranges must be one IPv4 and one IPv6' });
    assert.throws(() => serverFlagsFrom(['--cluster-cidr', 'fd00:42::/56']), { name: 'CliError', message: /an IPv4 range is required/ });
    assert.throws(() => serverFlagsFrom(['--cluster-cidr', '10.42.0.0/16,bogus']), { name: 'CliError', message: /"bogus" is not a CIDR range/ });
    assert.throws(() => serverFlagsFrom(['--node-cidr-mask-size-ipv6', '200']), { name: 'CliError' });
  });
});
