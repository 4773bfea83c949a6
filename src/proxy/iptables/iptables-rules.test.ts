import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { ProxyEndpoint, ProxyServicePort, ProxySnapshot } from '../proxy-state.js';
import { IptablesProxier } from './iptables-proxier.js';
import { chainPrefixFor, EMPTY_STATE, jumpRules, parseIptablesSave, renderRestore } from './iptables-rules.js';

const O = { prefix: 'TKt', masqueradeMark: '0x4000' };
/** IPv6 restore inputs rendered by the cases, for the real ip6tables-restore --test. */
const rendered6: string[] = [];

function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function ep(ip: string, extra: Partial<ProxyEndpoint> = {}): ProxyEndpoint {
  return { ip, port: 8080, ready: true, serving: true, terminating: false, isLocal: false, ...extra };
}

function port(extra: Partial<ProxyServicePort> = {}): ProxyServicePort {
  return {
    key: 'default/web:http', namespace: 'default', name: 'web', portName: 'http', protocol: 'TCP', clusterIPs: ['10.96.0.20'], port: 80,
    externalIPs: [], loadBalancerIPs: [], externalTrafficPolicyLocal: false, internalTrafficPolicyLocal: false, endpoints: [ep('10.244.1.5')], ...extra,
  };
}

function snap(...servicePorts: ProxyServicePort[]): ProxySnapshot {
  return { nodeName: 'n1', nodeIPs: ['192.168.1.2'], clusterCidr: '10.244.0.0/16', servicePorts };
}

/** rules returns the lines of one table's section of a restore input. */
function section(text: string, table: 'nat' | 'filter'): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`*${table}`);
  if (start < 0) return [];
  return lines.slice(start + 1, lines.indexOf('COMMIT', start));
}

function chainRules(text: string, chainPart: string): string[] {
  return section(text, 'nat').filter((l) => l.startsWith('-A ') && (l.split(' ')[1] ?? '').includes(chainPart));
}

void describe('iptables rules', () => {
  void it('derives a short, stable chain prefix per node', () => {
    assert.match(chainPrefixFor('node-a'), /^TK[0-9a-f]{4}$/);
    assert.equal(chainPrefixFor('node-a'), chainPrefixFor('node-a'));
    assert.notEqual(chainPrefixFor('node-a'), chainPrefixFor('node-b'));
    assert.throws(() => new IptablesProxier({ nodeName: 'x', chainPrefix: 'MUCH-TOO-LONG-PREFIX' }), /chain prefix/);
  });

  void it('dispatches a cluster IP to an endpoint chain that DNATs, masquerading traffic from outside the pod range', () => {
    const out = renderRestore(snap(port()), O, EMPTY_STATE);
    const nat = section(out, 'nat');
    assert.ok(nat.includes('-I PREROUTING 1 -m comment --comment "tkube proxy TKt" -j TKt-SERVICES'));
    assert.ok(nat.includes('-I OUTPUT 1 -m comment --comment "tkube proxy TKt" -j TKt-SERVICES'));
    assert.ok(nat.includes('-I POSTROUTING 1 -m comment --comment "tkube proxy TKt" -j TKt-POSTROUTING'));
    const services = chainRules(out, 'TKt-SERVICES');
    assert.match(services[0] ?? '', /! -s 10\.244\.0\.0\/16 -d 10\.96\.0\.20\/32 -p tcp -m tcp --dport 80 -j TKt-MARK-MASQ$/);
    assert.match(services[1] ?? '', /-d 10\.96\.0\.20\/32 -p tcp -m tcp --dport 80 -j TKt-SVC-[0-9A-F]{12}$/);
    const sep = chainRules(out, 'TKt-SEP-');
    assert.match(sep[0] ?? '', /-s 10\.244\.1\.5\/32 -j TKt-MARK-MASQ$/, 'hairpin traffic is masqueraded');
    assert.match(sep[1] ?? '', /-p tcp -m tcp -j DNAT --to-destination 10\.244\.1\.5:8080$/);
    assert.ok(chainRules(out, 'TKt-POSTROUTING').some((l) => l.includes('-j MASQUERADE')));
    assert.equal(section(out, 'filter').filter((l) => l.includes('REJECT')).length, 0);
    for (const l of out.split('\n')) if (l.startsWith(':')) assert.ok((l.slice(1).split(' ')[0] ?? '').length <= 28, `${l} fits iptables' name limit`);
  });

  void it('spreads over endpoints with statistic probabilities 1/n … and the last unconditional', () => {
    const out = renderRestore(snap(port({ endpoints: [ep('10.244.1.5'), ep('10.244.1.6'), ep('10.244.2.7'), ep('10.244.2.8', { ready: false })] })), O, EMPTY_STATE);
    const svc = chainRules(out, 'TKt-SVC-');
    assert.equal(svc.length, 3, 'the unready endpoint is left out');
    assert.match(svc[0] ?? '', /--probability 0\.3333333333 -j/);
    assert.match(svc[1] ?? '', /--probability 0\.5000000000 -j/);
    assert.doesNotMatch(svc[2] ?? '', /statistic/);
  });

  void it('uses serving terminating endpoints when none is ready', () => {
    const out = renderRestore(snap(port({ endpoints: [ep('10.244.1.5', { ready: false, terminating: true }), ep('10.244.1.6', { ready: false, serving: false, terminating: true })] })), O, EMPTY_STATE);
    const dnat = chainRules(out, 'TKt-SEP-').filter((l) => l.includes('DNAT'));
    assert.deepEqual(dnat.map((l) => l.split('--to-destination ')[1]), ['10.244.1.5:8080']);
  });

  void it('rejects traffic to a service port without endpoints in the filter table', () => {
    const out = renderRestore(snap(port({ endpoints: [], nodePort: 30080, externalIPs: ['1.2.3.4'] })), O, EMPTY_STATE);
    const filter = section(out, 'filter');
    assert.ok(filter.includes('-I INPUT 1 -m conntrack --ctstate NEW -m comment --comment "tkube proxy TKt" -j TKt-FILTER'));
    const rejects = filter.filter((l) => l.includes('-j REJECT'));
    assert.equal(rejects.length, 3);
    assert.ok(rejects.some((l) => l.includes('-d 10.96.0.20/32') && l.includes('--dport 80')));
    assert.ok(rejects.some((l) => l.includes('-d 1.2.3.4/32')));
    assert.ok(rejects.some((l) => l.includes('--dst-type LOCAL') && l.includes('--dport 30080')));
    assert.equal(chainRules(out, 'TKt-SVC-').length, 0);
  });

  void it('sends NodePorts, external and LB IPs through an EXT chain that masquerades with policy Cluster', () => {
    const out = renderRestore(snap(port({ nodePort: 30080, externalIPs: ['1.2.3.4'], loadBalancerIPs: ['5.6.7.8'] })), O, EMPTY_STATE);
    const services = chainRules(out, 'TKt-SERVICES');
    assert.ok(services.some((l) => l.includes('-d 1.2.3.4/32') && /-j TKt-EXT-/.test(l)));
    assert.ok(services.some((l) => l.includes('-d 5.6.7.8/32') && /-j TKt-EXT-/.test(l)));
    assert.match(services.at(-1) ?? '', /-m addrtype --dst-type LOCAL -j TKt-NODEPORTS$/, 'NodePorts are matched last');
    assert.match(chainRules(out, 'TKt-NODEPORTS')[0] ?? '', /-p tcp -m tcp --dport 30080 -j TKt-EXT-/);
    const ext = chainRules(out, 'TKt-EXT-');
    assert.match(ext[0] ?? '', /-j TKt-MARK-MASQ$/);
    assert.match(ext[1] ?? '', /-j TKt-SVC-/);
  });

  void it('lets only loadBalancerSourceRanges reach the LB IPs: FW chain to EXT per range, DROP in the filter table for the rest', () => {
    const out = renderRestore(snap(port({ nodePort: 30080, externalIPs: ['1.2.3.4'], loadBalancerIPs: ['5.6.7.8'], loadBalancerSourceRanges: ['192.0.2.0/24', '10.1.0.0/16'] })), O, EMPTY_STATE);
    const services = chainRules(out, 'TKt-SERVICES');
    assert.ok(services.some((l) => l.includes('-d 5.6.7.8/32') && /-j TKt-FW-[0-9A-F]{12}$/.test(l)), 'LB IP → FW');
    assert.ok(services.some((l) => l.includes('-d 1.2.3.4/32') && /-j TKt-EXT-/.test(l)), 'external IP not filtered');
    const fw = chainRules(out, 'TKt-FW-');
    assert.equal(fw.length, 2);
    assert.match(fw[0] ?? '', /-s 192\.0\.2\.0\/24 -j TKt-EXT-/);
    assert.match(fw[1] ?? '', /-s 10\.1\.0\.0\/16 -j TKt-EXT-/);
    const drops = section(out, 'filter').filter((l) => l.endsWith('-j DROP'));
    assert.equal(drops.length, 1);
    assert.match(drops[0] ?? '', /-d 5\.6\.7\.8\/32 -p tcp -m tcp --dport 80 -j DROP$/);
    assert.equal(chainRules(renderRestore(snap(port({ loadBalancerIPs: ['5.6.7.8'] })), O, EMPTY_STATE), 'TKt-FW-').length, 0, 'no ranges, no FW chain');
  });

  void it('serves NodePorts on 127.0.0.1 when asked: martian localnet connections dropped, route_localnet set once', async () => {
    const out = renderRestore(snap(port({ nodePort: 30080 })), { ...O, localhostNodePorts: true }, EMPTY_STATE);
    assert.ok(section(out, 'filter').includes('-A TKt-FILTER -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP'));
    assert.ok(!renderRestore(snap(port({ nodePort: 30080 })), O, EMPTY_STATE).includes('localnet'));
    const calls: string[] = [];
    const run = (file: string, args: readonly string[]): Promise<string> => {
      calls.push([file, ...args].join(' '));
      return Promise.resolve('');
    };
    let recorded = 0;
    const p = new IptablesProxier({ nodeName: 'n1', chainPrefix: 'TKt', run, onRouteLocalnetSet: () => recorded++ });
    await p.sync(snap(port()));
    assert.ok(!calls.some((c) => c.startsWith('sysctl')), 'no NodePort, no sysctl');
    await p.sync(snap(port({ nodePort: 30080 })));
    await p.sync(snap(port({ nodePort: 30081 })));
    assert.deepEqual(calls.filter((c) => c.startsWith('sysctl')), ['sysctl -n net.ipv4.conf.all.route_localnet', 'sysctl -q -w net.ipv4.conf.all.route_localnet=1']);
    assert.equal(recorded, 1);
    await p.cleanup();
    assert.equal(calls.filter((c) => c.startsWith('sysctl')).at(-1), 'sysctl -q -w net.ipv4.conf.all.route_localnet=0', 'turned off again: it was off');
    // Found on: left alone, and not turned off by cleanup.
    const onCalls: string[] = [];
    const on = new IptablesProxier({ nodeName: 'n1', chainPrefix: 'TKt', run: (file, args) => (onCalls.push([file, ...args].join(' ')), Promise.resolve(file === 'sysctl' ? '1\n' : '')) });
    await on.sync(snap(port({ nodePort: 30080 })));
    await on.cleanup();
    assert.deepEqual(onCalls.filter((c) => c.startsWith('sysctl')), ['sysctl -n net.ipv4.conf.all.route_localnet']);
  });

  void it('keeps the client address and uses local endpoints only with externalTrafficPolicy Local', () => {
    const local = ep('10.244.0.5', { isLocal: true });
    const out = renderRestore(snap(port({ nodePort: 30080, externalTrafficPolicyLocal: true, endpoints: [local, ep('10.244.1.5')] })), O, EMPTY_STATE);
    const ext = chainRules(out, 'TKt-EXT-');
    assert.match(ext[0] ?? '', /-s 10\.244\.0\.0\/16 -j TKt-SVC-/, 'pods get cluster behaviour');
    assert.match(ext[1] ?? '', /--src-type LOCAL -j TKt-MARK-MASQ$/, 'the node itself is masqueraded');
    assert.match(ext.at(-1) ?? '', /-j TKt-SVL-/);
    assert.equal(ext.filter((l) => l.includes('MARK-MASQ')).length, 1, 'outside clients are not masqueraded');
    const svl = chainRules(out, 'TKt-SVL-');
    assert.equal(svl.length, 1);
    assert.equal(chainRules(out, 'TKt-SVC-').length, 2, 'the cluster chain keeps both endpoints');
  });

  void it('sends cluster-IP traffic to local endpoints only with internalTrafficPolicy Local', () => {
    const out = renderRestore(snap(port({ internalTrafficPolicyLocal: true, endpoints: [ep('10.244.0.5', { isLocal: true }), ep('10.244.1.5')] })), O, EMPTY_STATE);
    assert.ok(chainRules(out, 'TKt-SERVICES').some((l) => / -j TKt-SVL-/.test(l)));
    assert.equal(chainRules(out, 'TKt-SVL-').length, 1);
    assert.equal(chainRules(out, 'TKt-SVC-').length, 0);
    const noLocal = renderRestore(snap(port({ internalTrafficPolicyLocal: true, endpoints: [ep('10.244.1.5')] })), O, EMPTY_STATE);
    assert.ok(section(noLocal, 'filter').some((l) => l.includes('-d 10.96.0.20/32') && l.includes('REJECT')));
  });

  void it('pins clients with the recent module for sessionAffinity ClientIP', () => {
    const out = renderRestore(snap(port({ sessionAffinitySeconds: 10800, endpoints: [ep('10.244.1.5'), ep('10.244.1.6')] })), O, EMPTY_STATE);
    const svc = chainRules(out, 'TKt-SVC-');
    assert.equal(svc.length, 4);
    for (const l of svc.slice(0, 2)) assert.match(l, /-m recent --name (TKt-SEP-\w+) --mask 255\.255\.255\.255 --rsource --rcheck --seconds 10800 --reap -j \1$/);
    for (const l of chainRules(out, 'TKt-SEP-').filter((r) => r.includes('DNAT'))) assert.match(l, /-m recent --name (TKt-SEP-\w+) --mask 255\.255\.255\.255 --rsource --set /);
  });

  void it('renders UDP, skips headless, SCTP and IPv6, and keeps the output deterministic', () => {
    const udp = port({ key: 'kube-system/dns:dns', protocol: 'UDP', port: 53, clusterIPs: ['10.96.0.10'], endpoints: [ep('10.244.1.9')] });
    const headless = port({ key: 'default/headless:', clusterIPs: [] });
    const sctp = port({ key: 'default/sctp:', protocol: 'SCTP' });
    const v6 = port({ key: 'default/v6:', clusterIPs: ['fd00::20'], endpoints: [ep('fd00:1::5')] });
    const out = renderRestore(snap(udp, headless, sctp, v6), O, EMPTY_STATE);
    assert.ok(chainRules(out, 'TKt-SERVICES').some((l) => l.includes('-p udp -m udp --dport 53')));
    assert.ok(chainRules(out, 'TKt-SEP-').some((l) => l.endsWith('-p udp -m udp -j DNAT --to-destination 10.244.1.9:8080')));
    assert.equal(out.split('\n').filter((l) => l.includes('headless') || l.includes('sctp') || l.includes('fd00')).length, 0);
    assert.equal(renderRestore(snap(v6, udp, sctp, headless), O, EMPTY_STATE), out);
  });

  void it('deletes stale chains and jumps, and keeps jumps already in place', () => {
    const save = [
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':TKt-SERVICES - [0:0]',
      ':TKt-SVC-OLD - [0:0]',
      ':TKother-SERVICES - [0:0]',
      ...jumpRules(O).nat,
      '-A OUTPUT -j TKt-OLDJUMP',
      '-A PREROUTING -m comment --comment "tkube proxy TKother" -j TKother-SERVICES',
      'COMMIT',
      '*filter',
      ':TKt-FILTER - [0:0]',
      ...jumpRules(O).filter,
      'COMMIT',
    ].join('\n');
    const state = parseIptablesSave(save, 'TKt');
    assert.deepEqual([...state.chains.nat].sort(), ['TKt-SERVICES', 'TKt-SVC-OLD']);
    assert.equal(state.jumps.nat.length, 4, 'the other prefix is not ours');
    const out = renderRestore(snap(port()), O, state);
    const nat = section(out, 'nat');
    assert.ok(nat.includes('-D OUTPUT -j TKt-OLDJUMP'));
    assert.ok(nat.includes(':TKt-SVC-OLD - [0:0]') && nat.at(-1) === '-X TKt-SVC-OLD', 'stale chains are flushed, then deleted last');
    assert.equal(nat.filter((l) => l.startsWith('-I ')).length, 0, 'jumps in place are not added again');
    assert.equal(out.split('\n').filter((l) => l.includes('TKother')).length, 0);
  });

  void it('cleans up everything of ours and renders nothing when nothing is there', () => {
    const state = parseIptablesSave(renderRestore(snap(port()), O, EMPTY_STATE).replace(/^-I (\S+) 1 /gm, '-A $1 '), 'TKt');
    const out = renderRestore(undefined, O, state);
    assert.equal(section(out, 'nat').filter((l) => l.startsWith('-D ')).length, 3);
    assert.equal(section(out, 'filter').filter((l) => l.startsWith('-D ')).length, 3);
    assert.equal(section(out, 'nat').filter((l) => l.startsWith('-A ')).length, 0);
    assert.equal(section(out, 'nat').filter((l) => l.startsWith('-X ')).length, [...state.chains.nat].length);
    assert.equal(renderRestore(undefined, O, EMPTY_STATE), '');
  });

  void it('applies through the command runner, and an unchanged snapshot restores nothing', async () => {
    const calls: string[] = [];
    let saved = '';
    const run = (file: string, args: readonly string[], stdin?: string): Promise<string> => {
      calls.push([file, ...args].join(' '));
      if (args.includes('iptables-restore')) saved = (stdin ?? '').replace(/^-I (\S+) 1 /gm, '-A $1 ');
      const table = args.at(-1);
      return Promise.resolve(args.includes('iptables-save') ? saved.split('COMMIT').filter((s) => s.includes(`*${table ?? ''}`)).join('COMMIT') : '');
    };
    const p = new IptablesProxier({ nodeName: 'n1', chainPrefix: 'TKt', netns: 'tkube-t-x', run });
    await p.sync(snap(port()));
    assert.ok(calls.some((c) => c === 'ip netns exec tkube-t-x iptables-restore --noflush -w 5'));
    const restores = calls.filter((c) => c.includes('iptables-restore')).length;
    await p.sync(snap(port()));
    assert.equal(calls.filter((c) => c.includes('iptables-restore')).length, restores);
    await p.sync(snap(port({ endpoints: [ep('10.244.1.7')] })));
    assert.equal(calls.filter((c) => c.includes('iptables-restore')).length, restores + 1);
  });

  void it('renders an IPv6 snapshot for ip6tables (dual-stack), and only its IPv6 addresses', () => {
    const O6 = { ...O, family: 'IPv6' as const, localhostNodePorts: true };
    const sp6 = port({ clusterIPs: ['fd43::20'], externalIPs: ['2001:db8::7', '192.0.2.7'], nodePort: 30080, sessionAffinitySeconds: 60, endpoints: [ep('fd42::5'), ep('fd42::6')] });
    const v4 = port({ key: 'default/v4:', clusterIPs: ['10.96.0.21'] });
    const empty = port({ key: 'default/empty:', clusterIPs: ['fd43::21'], endpoints: [] });
    const out = renderRestore({ ...snap(sp6, v4, empty), clusterCidr: 'fd42::/56', family: 'IPv6' }, O6, EMPTY_STATE);
    rendered6.push(out);
    const services = chainRules(out, 'TKt-SERVICES');
    assert.match(services[0] ?? '', /! -s fd42::\/56 -d fd43::20\/128 -p tcp -m tcp --dport 80 -j TKt-MARK-MASQ$/);
    assert.ok(services.some((l) => / -d 2001:db8::7\/128 .* -j TKt-EXT-/.test(l)));
    assert.ok(services.at(-1)?.endsWith('-m addrtype --dst-type LOCAL -j TKt-NODEPORTS'), 'NodePorts on every local (IPv6) address');
    const dnat = chainRules(out, 'TKt-SEP-').filter((l) => l.includes('DNAT'));
    assert.deepEqual(dnat.map((l) => l.split('--to-destination ')[1]), ['[fd42::5]:8080', '[fd42::6]:8080']);
    for (const l of dnat) assert.match(l, /--mask ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff --rsource --set/);
    assert.ok(section(out, 'filter').some((l) => l.includes('-d fd43::21/128') && l.endsWith('-j REJECT')));
    assert.equal(out.split('\n').filter((l) => /10\.96\.0\.21|192\.0\.2\.7|127\.0\.0\.0/.test(l)).length, 0, 'no IPv4 address, no localhost NodePort rule');
  });

  void it('writes IPv6 rules the real ip6tables-restore accepts', { skip: process.getuid?.() !== 0 ? 'needs root' : !hasTool('ip6tables-restore') ? 'needs ip6tables-restore' : false }, () => {
    assert.equal(rendered6.length, 1);
    // --test parses and checks every rule against the kernel's matches and targets, and commits nothing.
    for (const input of rendered6) execFileSync('ip6tables-restore', ['--test', '--noflush', '-w', '5'], { input, stdio: ['pipe', 'ignore', 'pipe'] });
  });

  void it('an IPv6 proxier runs ip6tables-save and ip6tables-restore, and never sets route_localnet', async () => {
    const calls: string[] = [];
    const run = (file: string, args: readonly string[]): Promise<string> => {
      calls.push([file, ...args].join(' '));
      return Promise.resolve('');
    };
    const p = new IptablesProxier({ nodeName: 'n1', chainPrefix: 'TKt', family: 'IPv6', run });
    await p.sync({ ...snap(port({ clusterIPs: ['fd43::20'], nodePort: 30080, endpoints: [ep('fd42::5')] })), clusterCidr: 'fd42::/56', family: 'IPv6' });
    assert.deepEqual(calls, ['ip6tables-save -t nat', 'ip6tables-save -t filter', 'ip6tables-restore --noflush -w 5', 'ip6tables-save -t nat', 'ip6tables-save -t filter']);
  });
});
