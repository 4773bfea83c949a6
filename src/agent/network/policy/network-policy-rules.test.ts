/**
 * networkPolicyRules against upstream's semantics. Each case builds the script, then runs packets through a small
 * interpreter of the nft subset the script uses (the forward chain's vmaps, the per-pod chains' matches and
 * verdicts), so the assertions say "this connection is allowed", not "this text is there". A last case hands
 * every script to the real `nft -c` (check only, nothing applied) when the host has it and we are root.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseIP } from '../../../base/net/ip-address.js';
import type { NetworkPolicy, NetworkPolicySpec } from './network-policy.js';
import { networkPolicyRules, type NetworkPolicyRules } from './network-policy-rules.js';
import { policyNamespaceOf, policyPodOf, type PolicyPod } from './policy-pod.js';
import { nftHostMissing } from '../../../../test/harness/host-tools.js';

interface Packet {
  src: string;
  dst: string;
  proto?: 'tcp' | 'udp' | 'sctp' | 'icmpv6';
  dport?: number;
  /** ICMPv6 type name, as nft spells it (nd-neighbor-advert). */
  icmpType?: string;
}

// ---- a tiny interpreter of the generated script ----

/** inAddr: is `ip` the address or in the range `spec` (either family; false across families)? */
function inAddr(spec: string, ip: string): boolean {
  const [base = '', bits] = spec.split('/');
  const a = parseIP(ip);
  const b = parseIP(base);
  if (!a || !b || a.family !== b.family) return false;
  const width = a.family === 'IPv4' ? 32 : 128;
  const host = BigInt(width - Number(bits ?? width));
  return a.value >> host === b.value >> host;
}

function setItems(tokens: string[], i: number): { items: string[]; next: number } {
  if (tokens[i] !== '{') return { items: [tokens[i] ?? ''], next: i + 1 };
  const end = tokens.indexOf('}', i);
  return { items: tokens.slice(i + 1, end).join(' ').split(',').map((s) => s.trim()).filter(Boolean), next: end + 1 };
}

/** matches runs one rule's match tokens against a packet; returns the verdict tokens when every match holds. */
function ruleVerdict(rule: string, p: Packet): string | undefined {
  const text = rule.replace(/ comment ".*"$/, '');
  const tokens = text.replace(/([{}])/g, ' $1 ').split(/\s+/).filter(Boolean);
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i];
    if (t === 'accept' || t === 'drop' || t === 'return') return t;
    if ((t === 'ip' || t === 'ip6') && tokens[i + 2] === '.') {
      // ip daddr . tcp dport { a . p, ... }
      const proto = tokens[i + 3];
      const { items, next } = setItems(tokens, i + 5);
      if (p.proto !== proto || !items.some((it) => it === `${p.dst} . ${String(p.dport)}`)) return undefined;
      i = next;
      continue;
    }
    if (t === 'icmpv6') {
      // icmpv6 type { a, b }
      const { items, next } = setItems(tokens, i + 2);
      if (p.proto !== 'icmpv6' || !items.includes(p.icmpType ?? '')) return undefined;
      i = next;
      continue;
    }
    if (t === 'ip' || t === 'ip6') {
      if ((t === 'ip6') !== p.dst.includes(':')) return undefined; // a match of the other family
      const addr = tokens[i + 1] === 'saddr' ? p.src : p.dst;
      const negate = tokens[i + 2] === '!=';
      const { items, next } = setItems(tokens, i + (negate ? 3 : 2));
      const hit = items.some((it) => inAddr(it, addr));
      if (hit === negate) return undefined;
      i = next;
      continue;
    }
    if (t === 'meta') {
      if (p.proto !== tokens[i + 2]) return undefined;
      i += 3;
      continue;
    }
    if (t === 'tcp' || t === 'udp' || t === 'sctp') {
      if (p.proto !== t || p.dport === undefined) return undefined;
      const [lo = '', hi] = (tokens[i + 2] ?? '').split('-');
      if (p.dport < Number(lo) || p.dport > Number(hi ?? lo)) return undefined;
      i += 3;
      continue;
    }
    throw new Error(`interpreter does not know "${t}" in: ${rule}`);
  }
  return undefined;
}

function parseChains(script: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const raw of script.split('\n')) {
    const line = raw.trim();
    const m = /^chain (\S+) \{$/.exec(line);
    if (m) {
      current = [];
      chains.set(m[1] ?? '', current);
    } else if (line === '}') current = undefined;
    else if (current && line && !line.startsWith('type ')) current.push(line);
  }
  return chains;
}

/** tableText is the body of one family's table in a script ('' when the script makes no such table). */
function tableText(script: string, family: 'ip' | 'ip6'): string {
  const start = script.indexOf(`table ${family} tkube-np-n1 {\n`);
  if (start < 0) return '';
  return script.slice(start, script.indexOf('\n}\n', start) + 3);
}

/**
 * allowed tells whether a new connection's first packet passes the forward chain (or the input chain: to the
 * node), in the table of the packet's family (no such table: nothing is filtered).
 */
function allowed(rules: NetworkPolicyRules, p: Packet, hook: 'forward' | 'input' = 'forward'): boolean {
  const chains = parseChains(tableText(rules.script, p.dst.includes(':') ? 'ip6' : 'ip'));
  const run = (name: string): string => {
    for (const rule of chains.get(name) ?? []) {
      if (rule === 'ct state established,related accept') continue; // a new connection
      const vmap = /^ip6? (saddr|daddr) vmap \{ (.*) \}$/.exec(rule);
      if (vmap) {
        const addr = vmap[1] === 'saddr' ? p.src : p.dst;
        const hit = (vmap[2] ?? '').split(', ').map((e) => e.split(' : jump ')).find(([ip]) => ip === addr);
        if (hit) {
          const v = run(hit[1] ?? '');
          if (v !== 'return') return v;
        }
        continue;
      }
      const v = ruleVerdict(rule, p);
      if (v) return v;
    }
    return 'return';
  };
  const v = run(hook);
  return v !== 'drop';
}

// ---- fixtures ----

function pod(ns: string, name: string, ip: string, labels: Record<string, string> = {}, ports: { name?: string; containerPort: number; protocol?: string }[] = [], nodeName = 'n1'): PolicyPod {
  const p = policyPodOf({ metadata: { namespace: ns, name, labels }, spec: { nodeName, containers: [{ ports }] }, status: { phase: 'Running', podIP: ip } });
  assert.ok(p);
  return p;
}

function np(ns: string, name: string, spec: NetworkPolicySpec): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace: ns, name }, spec };
}

const web = pod('default', 'web', '10.42.0.10', { app: 'web' }, [{ name: 'http', containerPort: 8080 }, { name: 'dns', containerPort: 53, protocol: 'UDP' }]);
const client = pod('default', 'client', '10.42.0.11', { role: 'client' });
const other = pod('default', 'other', '10.42.0.12', { role: 'other' });
const prodClient = pod('prod', 'client', '10.42.1.20', { role: 'client' }, [], 'n2');
const prodDb = pod('prod', 'db', '10.42.1.21', { app: 'db' }, [{ name: 'pg', containerPort: 5432 }], 'n2');
const devDb = pod('dev', 'db', '10.42.0.30', { app: 'db' }, [{ name: 'pg', containerPort: 6432 }]);
const allPods = [web, client, other, prodClient, prodDb, devDb];
const namespaces = ['default', 'prod', 'dev'].map((n) => policyNamespaceOf({ metadata: { name: n, labels: n === 'prod' ? { env: 'prod' } : {} } })).filter((n) => n !== undefined);
/** Pods on this node (n1). */
const local = new Set(allPods.filter((p) => p.nodeName === 'n1').map((p) => p.ip));

function build(...policies: NetworkPolicy[]): NetworkPolicyRules {
  return networkPolicyRules({ table: 'tkube-np-n1', policies, pods: allPods, namespaces, localPodIPs: local });
}

const tcp = (src: PolicyPod | string, dst: PolicyPod | string, dport = 8080): Packet => ({ src: typeof src === 'string' ? src : src.ip, dst: typeof dst === 'string' ? dst : dst.ip, proto: 'tcp', dport });

const scripts: string[] = [];
function rules(...policies: NetworkPolicy[]): NetworkPolicyRules {
  const r = build(...policies);
  scripts.push(r.script);
  return r;
}

void describe('networkPolicyRules', () => {
  void it('isolates nobody without policies: everything passes', () => {
    const r = rules();
    assert.deepEqual([r.isolatedIngress, r.isolatedEgress], [[], []]);
    assert.ok(allowed(r, tcp(client, web)));
    assert.ok(allowed(r, tcp('192.0.2.1', web)));
    assert.match(r.script, /^table ip tkube-np-n1 \{\}\ndelete table ip tkube-np-n1\ntable ip tkube-np-n1 \{/);
    assert.match(r.script, /ct state established,related accept/);
  });

  void it('deny-all ingress (empty podSelector, no rules) isolates every pod of the namespace, and only for ingress', () => {
    const r = rules(np('default', 'deny', { podSelector: {}, policyTypes: ['Ingress'] }));
    assert.deepEqual(r.isolatedIngress, ['default/client', 'default/other', 'default/web']);
    assert.deepEqual(r.isolatedEgress, []);
    assert.ok(!allowed(r, tcp(client, web)));
    assert.ok(!allowed(r, tcp(prodClient, web)));
    assert.ok(!allowed(r, tcp('192.0.2.1', web)));
    assert.ok(allowed(r, tcp(web, devDb)), 'dev is another namespace: not isolated');
    assert.ok(allowed(r, tcp(web, '192.0.2.1')), 'egress is not isolated');
  });

  void it('defaults policyTypes as upstream: Ingress always, Egress only with egress rules', () => {
    const onlySelector = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } } }));
    assert.deepEqual([onlySelector.isolatedIngress, onlySelector.isolatedEgress], [['default/web'], []]);
    const withEgress = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { role: 'client' } } }] }] }));
    assert.deepEqual([withEgress.isolatedIngress, withEgress.isolatedEgress], [['default/web'], ['default/web']]);
    const egressOnly = rules(np('default', 'p', { podSelector: {}, policyTypes: ['Egress'] }));
    assert.deepEqual(egressOnly.isolatedIngress, []);
    assert.ok(!allowed(egressOnly, tcp(web, '192.0.2.1')), 'deny-all egress');
    assert.ok(allowed(egressOnly, tcp(prodClient, web)), 'ingress still open');
    // Rules of a direction the types leave out do nothing.
    const ignored = rules(np('default', 'p', { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }));
    assert.deepEqual(ignored.isolatedIngress, []);
  });

  void it('allows from a podSelector peer: pods of the policy namespace only', () => {
    const r = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] }));
    assert.ok(allowed(r, tcp(client, web)));
    assert.ok(!allowed(r, tcp(other, web)));
    assert.ok(!allowed(r, tcp(prodClient, web)), 'same labels in another namespace do not count');
    assert.ok(allowed(r, tcp(other, client)), 'client is not selected by the policy');
  });

  void it('namespaceSelector alone, and namespaceSelector with podSelector in one peer (AND) vs two peers (OR)', () => {
    const nsOnly = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }] }] }));
    assert.ok(allowed(nsOnly, tcp(prodClient, web)));
    assert.ok(allowed(nsOnly, tcp(prodDb, web)));
    assert.ok(!allowed(nsOnly, tcp(client, web)));
    assert.ok(!allowed(nsOnly, tcp(devDb, web)));

    const and = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: { matchLabels: { role: 'client' } } }] }] }));
    assert.ok(allowed(and, tcp(prodClient, web)));
    assert.ok(!allowed(and, tcp(prodDb, web)));
    assert.ok(!allowed(and, tcp(client, web)), 'role=client but not in prod');

    const or = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }, { podSelector: { matchLabels: { role: 'client' } } }] }] }));
    assert.ok(allowed(or, tcp(prodDb, web)));
    assert.ok(allowed(or, tcp(client, web)));
    assert.ok(!allowed(or, tcp(other, web)));

    const byName = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'dev' } } }] }] }));
    assert.ok(allowed(byName, tcp(devDb, web)), 'namespaces carry kubernetes.io/metadata.name');
    assert.ok(!allowed(byName, tcp(prodDb, web)));

    const everyNs = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: {} }] }] }));
    assert.ok(allowed(everyNs, tcp(prodDb, web)));
    assert.ok(!allowed(everyNs, tcp('192.0.2.1', web)), 'all pods, not all addresses');
  });

  void it('matchExpressions selectors', () => {
    const r = rules(np('default', 'p', { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['client'] }] } }] }] }));
    assert.ok(allowed(r, tcp(other, web)));
    assert.ok(!allowed(r, tcp(client, web)));
  });

  void it('an empty rule or an empty peer allows everything; an empty rule list denies everything', () => {
    const emptyRule = rules(np('default', 'p', { podSelector: {}, ingress: [{}] }));
    assert.deepEqual(emptyRule.isolatedIngress.length, 3);
    assert.ok(allowed(emptyRule, tcp('192.0.2.1', web)));
    const emptyPeer = rules(np('default', 'p', { podSelector: {}, ingress: [{ from: [{}] }] }));
    assert.ok(allowed(emptyPeer, tcp('192.0.2.1', web)));
    const none = rules(np('default', 'p', { podSelector: {}, ingress: [] }));
    assert.ok(!allowed(none, tcp(client, web)));
  });

  void it('policies add up: a pod selected by a deny-all and an allow gets the allow', () => {
    const r = rules(np('default', 'deny', { podSelector: {} }), np('default', 'allow', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] }));
    assert.ok(allowed(r, tcp(client, web)));
    assert.ok(!allowed(r, tcp(web, client)), 'client is isolated by deny-all');
  });

  void it('ports: numbers, ranges, protocols, a protocol with no port, named ports on the target pod', () => {
    const base = { podSelector: { matchLabels: { app: 'web' } } };
    const num = rules(np('default', 'p', { ...base, ingress: [{ ports: [{ port: 8080 }] }] }));
    assert.ok(allowed(num, tcp(client, web, 8080)));
    assert.ok(!allowed(num, tcp(client, web, 8081)));
    assert.ok(!allowed(num, { ...tcp(client, web, 8080), proto: 'udp' }), 'TCP unless said');

    const range = rules(np('default', 'p', { ...base, ingress: [{ ports: [{ protocol: 'TCP', port: 9000, endPort: 9010 }] }] }));
    assert.ok(allowed(range, tcp(client, web, 9000)));
    assert.ok(allowed(range, tcp(client, web, 9010)));
    assert.ok(!allowed(range, tcp(client, web, 9011)));

    const udpAll = rules(np('default', 'p', { ...base, ingress: [{ ports: [{ protocol: 'UDP' }] }] }));
    assert.ok(allowed(udpAll, { src: client.ip, dst: web.ip, proto: 'udp', dport: 1234 }));
    assert.ok(!allowed(udpAll, tcp(client, web, 1234)));

    const sctp = rules(np('default', 'p', { ...base, ingress: [{ ports: [{ protocol: 'SCTP', port: 7777 }] }] }));
    assert.ok(allowed(sctp, { src: client.ip, dst: web.ip, proto: 'sctp', dport: 7777 }));

    const named = rules(np('default', 'p', { ...base, ingress: [{ ports: [{ port: 'http' }, { port: 'dns', protocol: 'UDP' }, { port: 'missing' }] }] }));
    assert.ok(allowed(named, tcp(client, web, 8080)));
    assert.ok(allowed(named, { src: client.ip, dst: web.ip, proto: 'udp', dport: 53 }));
    assert.ok(!allowed(named, tcp(client, web, 53)), 'the name is bound to its protocol');

    const wrongProto = rules(np('default', 'p', { ...base, ingress: [{ ports: [{ port: 'http', protocol: 'UDP' }] }] }));
    assert.ok(!allowed(wrongProto, tcp(client, web, 8080)));
    assert.ok(!allowed(wrongProto, { src: client.ip, dst: web.ip, proto: 'udp', dport: 8080 }));

    const peerAndPort = rules(np('default', 'p', { ...base, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }], ports: [{ port: 8080 }] }] }));
    assert.ok(allowed(peerAndPort, tcp(client, web, 8080)));
    assert.ok(!allowed(peerAndPort, tcp(client, web, 22)));
    assert.ok(!allowed(peerAndPort, tcp(other, web, 8080)));
  });

  void it('ipBlock with except, host bits cleared, IPv6 blocks ignored, bad CIDRs reported and failing closed', () => {
    const r = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.42.0.5/16', except: ['10.42.1.0/24'] } }, { ipBlock: { cidr: 'fd00::/8' } }] }] }));
    assert.match(r.script, /ip saddr 10\.42\.0\.0\/16 ip saddr != \{ 10\.42\.1\.0\/24 \}/);
    assert.ok(allowed(r, tcp(client, web)));
    assert.ok(!allowed(r, tcp(prodClient, web)), 'in the except');
    assert.ok(!allowed(r, tcp('192.0.2.1', web)));
    assert.deepEqual(r.problems, []);
    const bad = rules(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['garbage; flush ruleset'] } }] }] }));
    assert.ok(!allowed(bad, tcp(client, web)));
    assert.ok(!bad.script.includes('garbage'));
    assert.equal(bad.problems.length, 1);
  });

  void it('egress: pod peers, ipBlock, ports, and named ports resolved on each destination pod', () => {
    const base = { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress' as const] };
    const toDb = rules(np('default', 'p', { ...base, egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 'pg' }] }] }));
    assert.ok(allowed(toDb, tcp(web, prodDb, 5432)));
    assert.ok(allowed(toDb, tcp(web, devDb, 6432)));
    assert.ok(!allowed(toDb, tcp(web, devDb, 5432)), 'pg is 6432 on dev/db');
    assert.ok(!allowed(toDb, tcp(web, client, 5432)));
    const anyPg = rules(np('default', 'p', { ...base, egress: [{ ports: [{ port: 'pg' }] }] }));
    assert.ok(allowed(anyPg, tcp(web, prodDb, 5432)), 'no `to`: any pod with the named port');
    assert.ok(!allowed(anyPg, tcp(web, '192.0.2.1', 5432)));
    const blockPg = rules(np('default', 'p', { ...base, egress: [{ to: [{ ipBlock: { cidr: '10.42.1.0/24' } }], ports: [{ port: 'pg' }] }] }));
    assert.ok(allowed(blockPg, tcp(web, prodDb, 5432)));
    assert.ok(!allowed(blockPg, tcp(web, devDb, 6432)));
    const world = rules(np('default', 'p', { ...base, egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ protocol: 'UDP', port: 53 }] }] }));
    assert.ok(allowed(world, { src: web.ip, dst: '192.0.2.53', proto: 'udp', dport: 53 }));
    assert.ok(!allowed(world, { src: web.ip, dst: '10.43.0.10', proto: 'udp', dport: 53 }));
    assert.ok(allowed(world, tcp(client, '192.0.2.1')), 'client is not selected');
  });

  void it('checks both ends between two local pods: the sender egress, then the receiver ingress', () => {
    const egressOk = np('default', 'e', { podSelector: { matchLabels: { role: 'client' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }] }] });
    const ingressDeny = np('default', 'i', { podSelector: { matchLabels: { app: 'web' } } });
    assert.ok(allowed(rules(egressOk), tcp(client, web)));
    assert.ok(!allowed(rules(egressOk, ingressDeny), tcp(client, web)), 'egress allowed, ingress denied');
    assert.ok(!allowed(rules(egressOk), tcp(client, other)), 'egress denied');
  });

  void it('enforces only for local pods: remote pods are the other node table business', () => {
    const r = rules(np('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
    assert.deepEqual([r.isolatedIngress, r.isolatedEgress], [[], []]);
    assert.ok(allowed(r, tcp(web, prodDb)));
  });

  void it('leaves out pods without an address of their own, and reports bad selectors', () => {
    assert.equal(policyPodOf({ metadata: { namespace: 'a', name: 'h' }, spec: { hostNetwork: true }, status: { podIP: '10.0.0.1' } })?.hostNetwork, true);
    assert.equal(policyPodOf({ metadata: { namespace: 'a', name: 'p' }, spec: {}, status: { phase: 'Pending' } }), undefined);
    assert.equal(policyPodOf({ metadata: { namespace: 'a', name: 'd' }, spec: {}, status: { phase: 'Succeeded', podIP: '10.0.0.2' } }), undefined);
    assert.equal(policyPodOf({ metadata: { namespace: 'a', name: 'r' }, spec: {}, status: { phase: 'Running', podIP: '10.0.0.3' } })?.ip, '10.0.0.3');
    const r = rules(np('default', 'bad', { podSelector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['x'] }] } }), np('default', 'badpeer', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'x', operator: 'Bogus' }] } }] }] }));
    assert.equal(r.problems.length, 2);
    assert.deepEqual(r.isolatedIngress, ['default/web'], 'the policy with a bad target selector is skipped, the bad peer matches nothing');
    assert.ok(!allowed(r, tcp(client, web)));
  });

  void it('judges pod traffic to the node itself (input hook) by the egress rules', () => {
    const nodeIP = '192.0.2.10';
    const denyAll = rules(np('default', 'deny', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] }));
    assert.ok(!allowed(denyAll, tcp(web, nodeIP, 6443), 'input'), 'egress deny-all covers the node');
    assert.ok(allowed(denyAll, tcp(client, nodeIP, 6443), 'input'), 'an unselected pod reaches the node');
    assert.ok(allowed(rules(), tcp(web, nodeIP, 6443), 'input'), 'no policy: nothing filtered');
    const toNode = rules(np('default', 'node', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${nodeIP}/32` } }], ports: [{ port: 6443 }] }] }));
    assert.ok(allowed(toNode, tcp(web, nodeIP, 6443), 'input'), 'an ipBlock naming the node address allows it');
    assert.ok(!allowed(toNode, tcp(web, nodeIP, 10250), 'input'), 'on the ports listed only');
    assert.ok(!allowed(toNode, tcp(web, '192.0.2.11', 6443), 'input'));
  });

  void it('takes host-network pods as peers by their node address, never as targets', () => {
    const hostPod = (ns: string, name: string, ip: string, labels: Record<string, string>, ports: { name: string; containerPort: number; protocol: string }[], nodeName: string): PolicyPod =>
      policyPodOf({ metadata: { namespace: ns, name, labels }, spec: { nodeName, hostNetwork: true, containers: [{ ports }] }, status: { phase: 'Running', podIP: ip } }) ?? assert.fail();
    const dns = hostPod('kube-system', 'kube-dns-n1', '192.0.2.10', { 'k8s-app': 'kube-dns' }, [{ name: 'dns', containerPort: 5353, protocol: 'UDP' }], 'n1');
    const agent = hostPod('kube-system', 'kube-proxy-n2', '192.0.2.20', { 'k8s-app': 'kube-proxy' }, [], 'n2');
    const withSystem = [...namespaces, policyNamespaceOf({ metadata: { name: 'kube-system' } }) ?? assert.fail()];
    const withHosts = (...policies: NetworkPolicy[]): NetworkPolicyRules => {
      const r = networkPolicyRules({ table: 'tkube-np-n1', policies, pods: [...allPods, dns, agent], namespaces: withSystem, localPodIPs: local });
      scripts.push(r.script);
      return r;
    };
    // The usual "allow DNS" egress rule: kube-dns's pod is on the host network, so the rule names the node address.
    const allowDns = withHosts(np('default', 'dns', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 'dns' }] }] }));
    assert.ok(allowed(allowDns, { src: web.ip, dst: dns.ip, proto: 'udp', dport: 5353 }, 'input'));
    assert.ok(!allowed(allowDns, { src: web.ip, dst: dns.ip, proto: 'udp', dport: 53 }, 'input'), 'the named port resolves on the host-network pod');
    assert.ok(!allowed(allowDns, tcp(web, dns.ip, 6443), 'input'));
    // Ingress from another node's host (its kubelet, a host-network pod there) matches a peer selecting that pod.
    const fromNode2 = withHosts(np('default', 'in', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-proxy' } } }] }] }));
    assert.ok(allowed(fromNode2, tcp(agent.ip, web)));
    assert.ok(!allowed(fromNode2, tcp('192.0.2.30', web)));
    // An ipBlock naming that node's address does the same.
    assert.ok(allowed(withHosts(np('default', 'in', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '192.0.2.20/32' } }] }] })), tcp(agent.ip, web)));
    // A policy selecting everything in kube-system isolates no host-network pod.
    const r = withHosts(np('kube-system', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }));
    assert.deepEqual([r.isolatedIngress, r.isolatedEgress], [[], []]);
  });

  void it('dual-stack: the same rules over IPv6, from the pods\' IPv6 addresses and IPv6 ipBlocks', () => {
    const dual = (p: PolicyPod, ip6: string): PolicyPod => ({ ...p, ip6 });
    const [web6, client6, other6, prodClient6, prodDb6, devDb6] = [dual(web, 'fd00:42::a'), dual(client, 'fd00:42::b'), dual(other, 'fd00:42::c'), dual(prodClient, 'fd00:42:0:1::14'), dual(prodDb, 'fd00:42:0:1::15'), dual(devDb, 'fd00:42::1e')];
    const pods = [web6, client6, other6, prodClient6, prodDb6, devDb6];
    const build6 = (...policies: NetworkPolicy[]): NetworkPolicyRules => {
      const r = networkPolicyRules({ table: 'tkube-np-n1', policies, pods, namespaces, localPodIPs: local });
      scripts.push(r.script);
      return r;
    };
    const tcp6 = (src: PolicyPod | string, dst: PolicyPod | string, dport = 8080): Packet => ({ src: typeof src === 'string' ? src : (src.ip6 ?? ''), dst: typeof dst === 'string' ? dst : (dst.ip6 ?? ''), proto: 'tcp', dport });

    const none = build6();
    assert.match(none.script, /table ip6 tkube-np-n1 \{\}\ndelete table ip6 tkube-np-n1\n$/, 'no isolated pod: a stale ip6 table goes, no new one');
    assert.ok(allowed(none, tcp6(client6, web6)));

    // Pod and namespace selector peers, by their IPv6 addresses; ports as for IPv4.
    const r = build6(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }, { namespaceSelector: { matchLabels: { env: 'prod' } }, podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 'http' }] }] }));
    assert.ok(allowed(r, tcp6(client6, web6)));
    assert.ok(allowed(r, tcp6(prodDb6, web6)));
    assert.ok(!allowed(r, tcp6(client6, web6, 22)), 'on the named port only');
    assert.ok(!allowed(r, tcp6(other6, web6)));
    assert.ok(!allowed(r, tcp6(prodClient6, web6)));
    assert.ok(!allowed(r, tcp6('fd00:99::1', web6)));
    assert.ok(allowed(r, tcp6(other6, client6)), 'client is not isolated');
    assert.ok(allowed(r, tcp(client, web)) && !allowed(r, tcp(other, web)), 'IPv4 the same');
    // A peer pod without an IPv6 address is simply absent from the ip6 table.
    const v4only = networkPolicyRules({ table: 'tkube-np-n1', policies: [np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }] })], pods: [web6, client, other6], namespaces, localPodIPs: local });
    scripts.push(v4only.script);
    assert.ok(!allowed(v4only, tcp6(other6, web6)));
    assert.ok(allowed(v4only, tcp(client, web)));

    // ipBlocks: each family's blocks in its own table; the other family's match nothing there.
    const blocks = build6(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: 'fd00:42::/48', except: ['fd00:42:0:1::/64', '10.0.0.0/8'] } }, { ipBlock: { cidr: '192.0.2.0/24' } }] }] }));
    assert.ok(allowed(blocks, tcp6(client6, web6)));
    assert.ok(!allowed(blocks, tcp6(prodClient6, web6)), 'in the except');
    assert.ok(!allowed(blocks, tcp6('2001:db8::1', web6)));
    assert.ok(allowed(blocks, tcp('192.0.2.7', web)));
    assert.ok(!allowed(blocks, tcp(client, web)), 'an IPv6 block allows no IPv4 client');
    assert.deepEqual(blocks.problems, []);
    const onlyV4Block = build6(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] }));
    assert.ok(!allowed(onlyV4Block, tcp6(client6, web6)), 'an IPv4 block allows no IPv6 client');
    assert.ok(allowed(onlyV4Block, tcp(client, web)));
    const bad = build6(np('default', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ ipBlock: { cidr: 'fd00::/8', except: ['fd00::/zz'] } }] }] }));
    assert.equal(bad.problems.length, 1, `one problem, not one per family: ${bad.problems.join('; ')}`);
    assert.ok(!allowed(bad, tcp6(client6, web6)));

    // Egress, named ports on each destination's IPv6 address, and pods reaching the node over IPv6.
    const egress = build6(np('default', 'e', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 'pg' }] }, { to: [{ ipBlock: { cidr: 'fd00:42::1/128' } }], ports: [{ protocol: 'UDP', port: 53 }] }] }));
    assert.match(egress.script, /ip6 daddr \. tcp dport \{ fd00:42::1e \. 6432, fd00:42:0:1::15 \. 5432 \}/);
    assert.ok(allowed(egress, tcp6(web6, prodDb6, 5432)));
    assert.ok(!allowed(egress, tcp6(web6, devDb6, 5432)));
    assert.ok(allowed(egress, { src: 'fd00:42::a', dst: 'fd00:42::1', proto: 'udp', dport: 53 }, 'input'), 'an ipBlock naming the bridge IPv6 address');
    assert.ok(!allowed(egress, tcp6(web6, 'fd00:42::1', 6443), 'input'));
    // Neighbour discovery passes both ways for isolated pods (untracked, so never "established").
    for (const icmpType of ['nd-neighbor-solicit', 'nd-neighbor-advert', 'mld2-listener-report']) {
      assert.ok(allowed(egress, { src: 'fd00:42::a', dst: 'fd00:42::1', proto: 'icmpv6', icmpType }, 'input'));
      assert.ok(allowed(r, { src: 'fd00:42::c', dst: 'fd00:42::a', proto: 'icmpv6', icmpType }));
    }
    assert.ok(!allowed(r, { src: 'fd00:42::c', dst: 'fd00:42::a', proto: 'icmpv6', icmpType: 'echo-request' }), 'ping is not ND');
  });

  void it('writes scripts the real nft accepts', { skip: nftHostMissing() }, () => {
    assert.ok(scripts.length > 10);
    for (const script of scripts) execFileSync('nft', ['-c', '-f', '-'], { input: script, stdio: ['pipe', 'ignore', 'pipe'] });
  });
});
