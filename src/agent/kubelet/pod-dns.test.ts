import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PodView } from '../pod-spec.js';
import { hostsFile } from './etc-hosts.js';
import { parseResolvConf, podDNSConfig, podHostname } from './pod-dns.js';

const host = parseResolvConf('# generated\nnameserver 192.168.1.1\nnameserver 8.8.8.8\nsearch corp.example lab.example\noptions edns0 ndots:2\n');
const settings = { clusterDNS: '10.43.0.10', clusterDomain: 'cluster.local', host };

function pod(spec: PodView['spec']): PodView {
  return { metadata: { name: 'web-0', namespace: 'shop' }, spec };
}

void describe('pod DNS', () => {
  void it('parses the node resolv.conf', () => {
    assert.deepEqual(host, { servers: ['192.168.1.1', '8.8.8.8'], searches: ['corp.example', 'lab.example'], options: ['edns0', 'ndots:2'] });
  });

  void it('ClusterFirst: cluster DNS, namespace search paths then the node searches, ndots:5', () => {
    assert.deepEqual(podDNSConfig(pod({}), settings), {
      servers: ['10.43.0.10'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example'],
      options: ['ndots:5'],
    });
  });

  void it('hostNetwork makes ClusterFirst behave like Default, unless ClusterFirstWithHostNet', () => {
    assert.deepEqual(podDNSConfig(pod({ hostNetwork: true }), settings), host);
    assert.deepEqual(podDNSConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), settings).servers, ['10.43.0.10']);
    assert.deepEqual(podDNSConfig(pod({ dnsPolicy: 'Default' }), settings), host);
  });

  void it('None takes dnsConfig alone; dnsConfig merges into the others', () => {
    const dnsConfig = { nameservers: ['1.1.1.1'], searches: ['my.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] };
    assert.deepEqual(podDNSConfig(pod({ dnsPolicy: 'None', dnsConfig }), settings), { servers: ['1.1.1.1'], searches: ['my.example'], options: ['ndots:2', 'edns0'] });
    assert.deepEqual(podDNSConfig(pod({ dnsConfig }), settings), {
      servers: ['10.43.0.10', '1.1.1.1'],
      searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example', 'lab.example', 'my.example'],
      options: ['ndots:2', 'edns0'],
    });
    assert.equal(podDNSConfig(pod({ dnsPolicy: 'Default', dnsConfig: { nameservers: ['1.1.1.1', '2.2.2.2'] } }), settings).servers.length, 3);
  });

  void it('falls back to the node when no cluster DNS is configured', () => {
    assert.deepEqual(podDNSConfig(pod({}), { ...settings, clusterDNS: '' }), host);
  });
});

void describe('pod /etc/hosts', () => {
  void it('names the pod by hostname and subdomain FQDN, then the host aliases', () => {
    const p = pod({ hostname: 'db', subdomain: 'backend', hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.local', 'bar.local'] }] });
    const name = podHostname(p, 'cluster.local');
    assert.deepEqual(name, { hostname: 'db', domain: 'backend.shop.svc.cluster.local' });
    assert.equal(
      hostsFile(p, ['10.42.0.7'], name, ''),
      [
        '# Kubernetes-managed hosts file.',
        '127.0.0.1\tlocalhost',
        '::1\tlocalhost ip6-localhost ip6-loopback',
        'fe00::0\tip6-localnet',
        'fe00::0\tip6-mcastprefix',
        'fe00::1\tip6-allnodes',
        'fe00::2\tip6-allrouters',
        '10.42.0.7\tdb.backend.shop.svc.cluster.local\tdb',
        '',
        '# Entries added by HostAliases.',
        '10.1.2.3\tfoo.local\tbar.local',
        '',
      ].join('\n'),
    );
  });

  void it('uses the pod name without a hostname, and the node file with hostNetwork', () => {
    const p = pod({});
    assert.match(hostsFile(p, ['10.42.0.8'], podHostname(p, 'cluster.local'), ''), /\n10\.42\.0\.8\tweb-0\n$/);
    assert.equal(hostsFile(pod({ hostNetwork: true }), ['192.168.1.2'], { hostname: 'web-0' }, '127.0.0.1 localhost\n'), '# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n');
    assert.equal(podHostname({ metadata: { name: `${'a'.repeat(62)}-b` } }, 'x').hostname, 'a'.repeat(62));
  });
});
