import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProxyEndpoint, ProxyServicePort, ProxySnapshot } from '../proxy-state.js';
import { buildNftablesTable, renderTable, renderTableDiff, TableState, type NftablesTable } from './nftables-table.js';

const ep = (ip: string, extra: Partial<ProxyEndpoint> = {}): ProxyEndpoint => ({ ip, port: 8080, ready: true, serving: true, terminating: false, isLocal: false, ...extra });
const sp = (name: string, clusterIP: string, endpoints: ProxyEndpoint[], extra: Partial<ProxyServicePort> = {}): ProxyServicePort => ({
  key: `ns/${name}:http`,
  namespace: 'ns',
  name,
  portName: 'http',
  protocol: 'TCP',
  clusterIPs: [clusterIP],
  port: 80,
  externalIPs: [],
  loadBalancerIPs: [],
  externalTrafficPolicyLocal: false,
  internalTrafficPolicyLocal: false,
  endpoints,
  ...extra,
});
const snap = (servicePorts: ProxyServicePort[]): ProxySnapshot => ({ nodeName: 'n1', nodeIPs: ['192.0.2.2'], clusterCidr: '10.42.0.0/16', servicePorts });
const chainsOf = (t: ReturnType<typeof buildNftablesTable>, prefix: string): string[] => [...t.chains.keys()].filter((c) => c.startsWith(prefix));

void describe('nftables table', () => {
  void it('maps a cluster IP to a service chain that picks an endpoint at random and DNATs', () => {
    const t = buildNftablesTable('tkube-proxy-n1', snap([sp('web', '10.43.0.5', [ep('10.42.0.2'), ep('10.42.0.3'), ep('10.42.0.4', { ready: false, serving: false })])]));
    const text = renderTable(t);
    assert.match(text, /^table ip tkube-proxy-n1 \{\}\ndelete table ip tkube-proxy-n1\ntable ip tkube-proxy-n1 \{/);
    const svc = chainsOf(t, 'svc-');
    assert.equal(svc.length, 1);
    assert.match(text, new RegExp(`10\\.43\\.0\\.5 \\. tcp \\. 80 : goto ${escape(svc[0] ?? '')}`));
    const rules = t.chains.get(svc[0] ?? '') ?? '';
    assert.match(rules, /^ip daddr 10\.43\.0\.5 ip saddr != 10\.42\.0\.0\/16 jump mark-for-masquerade$/m);
    // The endpoints sit in the shared `endpoints` map, at the Service port's slot (a multiple of 65,536).
    const dnat = /^meta l4proto tcp dnat ip addr \. port to numgen random mod 2 offset (\d+) map @endpoints$/m.exec(rules);
    assert.ok(dnat, rules);
    const base = Number(dnat[1]);
    assert.equal(base % 65_536, 0);
    assert.deepEqual([...(t.maps.get('endpoints') ?? [])], [[String(base), '10.42.0.2 . 8080'], [String(base + 1), '10.42.0.3 . 8080']]);
    assert.match(text, /map endpoints \{\n\t\ttypeof numgen random mod 1 : ip daddr \. tcp dport\n/);
    assert.deepEqual(chainsOf(t, 'sep-'), [], 'no endpoint chains without affinity');
    // Hairpin: an endpoint reaching itself through the Service is masqueraded.
    assert.deepEqual([...t.hairpin], ['10.42.0.2 . 10.42.0.2', '10.42.0.3 . 10.42.0.3']);
    assert.match(text, /ct status dnat ip saddr \. ip daddr @hairpin-endpoints masquerade/);
    assert.match(text, /chain masquerading \{\n\t\tmeta mark & 0x00004000 == 0 return\n\t\tmeta mark set meta mark \^ 0x00004000\n\t\tmasquerade fully-random/);
    assert.match(text, /fib daddr type local meta l4proto \. th dport vmap @service-nodeports/);
  });

  void it('rejects Services without endpoints and drops external traffic with no local endpoint', () => {
    const t = buildNftablesTable('t', snap([
      sp('empty', '10.43.0.6', [], { nodePort: 30001 }),
      sp('local', '10.43.0.7', [ep('10.42.1.2', { isLocal: false })], { nodePort: 30002, externalTrafficPolicyLocal: true }),
    ]));
    assert.equal(t.maps.get('no-endpoint-services')?.get('10.43.0.6 . tcp . 80'), 'goto reject-chain');
    assert.equal(t.maps.get('no-endpoint-nodeports')?.get('tcp . 30001'), 'goto reject-chain');
    assert.equal(t.maps.get('no-endpoint-nodeports')?.get('tcp . 30002'), 'drop');
    assert.match(t.maps.get('service-ips')?.get('10.43.0.7 . tcp . 80') ?? '', /^goto svc-/);
    assert.match(renderTable(t), /chain reject-chain \{\n\t\tmeta l4proto tcp reject with tcp reset\n\t\treject\n/);
  });

  void it('sends NodePort, external and load-balancer traffic through a masquerading ext chain; Local keeps the client', () => {
    const t = buildNftablesTable('t', snap([
      sp('np', '10.43.0.8', [ep('10.42.0.2')], { nodePort: 30080, externalIPs: ['198.51.100.1'], loadBalancerIPs: ['203.0.113.9'] }),
      sp('loc', '10.43.0.9', [ep('10.42.0.3', { isLocal: true }), ep('10.42.1.3')], { nodePort: 30081, externalTrafficPolicyLocal: true }),
    ]));
    const ips = t.maps.get('service-ips');
    const ext = ips?.get('198.51.100.1 . tcp . 80') ?? '';
    assert.match(ext, /^goto ext-/);
    assert.equal(ips?.get('203.0.113.9 . tcp . 80'), ext);
    assert.equal(t.maps.get('service-nodeports')?.get('tcp . 30080'), ext);
    assert.match(t.chains.get(ext.slice(5)) ?? '', /^jump mark-for-masquerade\ngoto svc-/);
    const loc = (t.maps.get('service-nodeports')?.get('tcp . 30081') ?? '').slice(5);
    const rules = t.chains.get(loc) ?? '';
    assert.doesNotMatch(rules, /^jump mark-for-masquerade$/m, 'Local: no masquerade for outside clients');
    assert.match(rules, /^ip saddr 10\.42\.0\.0\/16 goto svc-/m);
    const sve = /^goto (sve-\S+)$/m.exec(rules)?.[1] ?? '';
    assert.equal(t.chains.get(sve), 'meta l4proto tcp dnat to 10.42.0.3:8080', 'only the local endpoint');
  });

  void it('drops clients outside loadBalancerSourceRanges before DNAT, for the load-balancer IPs only', () => {
    const t = buildNftablesTable('t', snap([
      sp('lb', '10.43.0.11', [ep('10.42.0.2')], { nodePort: 30090, loadBalancerIPs: ['203.0.113.9'], externalIPs: ['198.51.100.1'], loadBalancerSourceRanges: ['192.0.2.0/24', '10.1.0.0/16'] }),
      sp('open', '10.43.0.12', [ep('10.42.0.3')], { loadBalancerIPs: ['203.0.113.9'], port: 81 }),
    ]));
    const fw = t.maps.get('firewall-ips');
    assert.equal(fw?.size, 1, 'only the LB address of the Service with ranges');
    const verdict = fw?.get('203.0.113.9 . tcp . 80') ?? '';
    assert.match(verdict, /^goto fw-/);
    assert.equal(t.chains.get(verdict.slice(5)), 'ip saddr != { 192.0.2.0/24, 10.1.0.0/16 } drop');
    const text = renderTable(t);
    assert.match(text, /chain filter-prerouting \{\n\t\ttype filter hook prerouting priority -110; policy accept;\n\t\tct state new jump firewall-check\n/);
    assert.match(text, /chain filter-output \{\n\t\ttype filter hook output priority -110; policy accept;\n\t\tct state new jump firewall-check\n/);
    assert.match(text, /chain firewall-check \{\n\t\tip daddr \. meta l4proto \. th dport vmap @firewall-ips\n/);
    // Lifting the ranges removes the element and the chain in a diff.
    const after = buildNftablesTable('t', snap([sp('lb', '10.43.0.11', [ep('10.42.0.2')], { nodePort: 30090, loadBalancerIPs: ['203.0.113.9'], externalIPs: ['198.51.100.1'] })]));
    const diff = renderTableDiff(t, after) ?? assert.fail('diffable');
    assert.match(diff, /^delete element ip t firewall-ips \{ 203\.0\.113\.9 \. tcp \. 80 \}$/m);
    assert.match(diff, /^delete chain ip t fw-/m);
  });

  void it('keeps ClientIP affinity in one timed set per endpoint', () => {
    const t = buildNftablesTable('t', snap([sp('sticky', '10.43.0.10', [ep('10.42.0.2'), ep('10.42.0.3')], { sessionAffinitySeconds: 600 })]));
    assert.deepEqual([...t.sets.values()], [600, 600]);
    const rules = t.chains.get(chainsOf(t, 'svc-')[0] ?? '') ?? '';
    assert.equal(rules.match(/^ip saddr @aff-\S+ goto sep-\S+$/gm)?.length, 2);
    assert.ok(rules.indexOf('@aff-') < rules.indexOf('numgen'), 'affinity first');
    for (const sep of chainsOf(t, 'sep-')) assert.match(t.chains.get(sep) ?? '', /^update @aff-\S+ \{ ip saddr \}$/m);
    assert.match(renderTable(t), /set aff-\S+ \{ type ipv4_addr; flags dynamic,timeout; timeout 600s; \}/);
  });

  void it('moves an endpoint with two element changes of the endpoints map, no chain rewritten', () => {
    const before = buildNftablesTable('t', snap([sp('a', '10.43.0.1', [ep('10.42.0.2'), ep('10.42.0.3')]), sp('b', '10.43.0.2', [ep('10.42.0.4'), ep('10.42.0.5')])]));
    const after = buildNftablesTable('t', snap([sp('a', '10.43.0.1', [ep('10.42.0.2'), ep('10.42.0.9')]), sp('b', '10.43.0.2', [ep('10.42.0.4'), ep('10.42.0.5')])]));
    const diff = renderTableDiff(before, after) ?? assert.fail('diffable');
    assert.doesNotMatch(diff, /chain|rule/);
    const key = [...(after.maps.get('endpoints') ?? [])].find(([, v]) => v === '10.42.0.9 . 8080')?.[0] ?? assert.fail('new endpoint in the map');
    assert.equal(diff, [`delete element ip t endpoints { ${key} }`, `add element ip t endpoints { ${key} : 10.42.0.9 . 8080 }`, 'delete element ip t hairpin-endpoints { 10.42.0.3 . 10.42.0.3 }', 'add element ip t hairpin-endpoints { 10.42.0.9 . 10.42.0.9 }', ''].join('\n'));
  });

  void it('gives every Service port its own endpoints slot, also when their hashes collide', () => {
    // 3,000 names in 65,536 slots: dozens of hash collisions, each resolved to the next free slot.
    const many = (): ProxyServicePort[] => Array.from({ length: 3000 }, (_, i) => sp(`s${i}`, `10.43.${i >> 8}.${i & 255}`, [ep('10.42.0.2'), ep('10.42.0.3')]));
    const t = buildNftablesTable('t', snap(many()));
    const bases = [...t.chains.values()].map((rules) => /offset (\d+) map @endpoints/.exec(rules)?.[1]);
    assert.equal(bases.length, 3000);
    assert.equal(new Set(bases).size, 3000);
    assert.equal(t.maps.get('endpoints')?.size, 6000);
    assert.equal(renderTableDiff(t, buildNftablesTable('t', snap(many()))), '', 'the same slots for an equal snapshot');
  });

  void it('diffs two tables into only the changed chains and map elements', () => {
    const before = buildNftablesTable('t', snap([sp('a', '10.43.0.1', [ep('10.42.0.2'), ep('10.42.0.3')]), sp('b', '10.43.0.2', [ep('10.42.0.4')])]));
    const after = buildNftablesTable('t', snap([sp('a', '10.43.0.1', [ep('10.42.0.2')]), sp('c', '10.43.0.3', [ep('10.42.0.5')])]));
    assert.equal(renderTableDiff(before, before), '');
    const diff = renderTableDiff(before, after) ?? assert.fail('diffable');
    const lines = diff.split('\n');
    assert.ok(lines.some((l) => /^flush chain ip t svc-\S+ns\/a\//.test(l)), 'a: rewritten');
    assert.ok(lines.some((l) => /^add chain ip t svc-\S+ns\/c\//.test(l)), 'c: added');
    assert.ok(lines.includes('delete element ip t hairpin-endpoints { 10.42.0.3 . 10.42.0.3, 10.42.0.4 . 10.42.0.4 }'), 'a lost an endpoint, b went');
    assert.ok(lines.some((l) => /^delete chain ip t svc-\S+ns\/b\//.test(l)), 'b: removed');
    assert.ok(lines.some((l) => /^delete element ip t service-ips \{ 10\.43\.0\.2 \. tcp \. 80 \}$/.test(l)));
    assert.ok(lines.some((l) => /^add element ip t service-ips \{ 10\.43\.0\.3 \. tcp \. 80 : goto svc-/.test(l)));
    assert.ok(!diff.includes('10.43.0.1 . tcp'), 'a keeps its map element');
    // Elements go before the chains they pointed at.
    assert.ok(diff.indexOf('delete element') < diff.indexOf('delete chain'));
    const other = buildNftablesTable('u', snap([]));
    assert.equal(renderTableDiff(before, other), undefined, 'another table: write whole');
  });
});

void describe('TableState', () => {
  void it('diffs fragment by fragment to what a diff of the whole merged tables gives, over a random walk of changes', () => {
    // A seeded walk: endpoints move, come and go, are shared by two Services (hairpin counts), two Services claim one
    // external address (first wins), affinity and NodePorts come and go, Services are removed and added.
    let seed = 7;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return (seed >>> 8) % n;
    };
    const make = (i: number, gen: number): ProxyServicePort => {
      const n = rand(4);
      const shared = rand(3) === 0;
      return sp(`s${i}`, `10.43.0.${i}`, Array.from({ length: n }, (_, j) => ep(shared && j === 0 ? '10.42.9.9' : `10.42.${i}.${(gen + j) % 5}`, { isLocal: rand(2) === 0 })), {
        ...(rand(4) === 0 ? { sessionAffinitySeconds: 60 } : {}),
        ...(rand(3) === 0 ? { nodePort: 30000 + i } : {}),
        ...(rand(4) === 0 ? { externalIPs: ['198.51.100.1'] } : {}),
        ...(rand(5) === 0 ? { externalTrafficPolicyLocal: true } : {}),
      });
    };
    // Service ports by index: one per name, as in a real snapshot.
    const ports = new Map(Array.from({ length: 12 }, (_, i) => [i, make(i, 0)]));
    let table = buildNftablesTable('t', snap([...ports.values()]));
    let state = new TableState(table);
    for (let step = 1; step <= 300; step++) {
      for (const i of [...ports.keys()]) if (rand(4) === 0) ports.set(i, make(i, step));
      if (rand(6) === 0) ports.delete(rand(18));
      if (rand(5) === 0) {
        const i = rand(18);
        ports.set(i, make(i, step));
      }
      const next = buildNftablesTable('t', snap([...ports.values()]));
      const want = mergedDiff(table, next);
      const got = state.diffTo(next);
      assert.deepEqual(normalized(got), normalized(want), `step ${step}`);
      if (got === undefined) state = new TableState(next); // a whole write, as the proxier does
      table = next;
    }
  });
});

/** mergedDiff: the diff of two whole merged tables (the reference TableState must agree with). */
function mergedDiff(prev: NftablesTable, next: NftablesTable): string | undefined {
  const t = `${next.family} ${next.name}`;
  const out: string[] = [];
  for (const [set, timeout] of next.sets) {
    const old = prev.sets.get(set);
    if (old === undefined) out.push(`add set ${t} ${set} { type ipv4_addr; flags dynamic,timeout; timeout ${timeout}s; }`);
    else if (old !== timeout) return undefined;
  }
  for (const [chain, rules] of next.chains) {
    const old = prev.chains.get(chain);
    if (old === rules) continue;
    out.push(old === undefined ? `add chain ${t} ${chain}` : `flush chain ${t} ${chain}`);
    for (const rule of rules.split('\n')) out.push(`add rule ${t} ${chain} ${rule}`);
  }
  for (const [map, after] of next.maps) {
    const before = prev.maps.get(map) ?? new Map<string, string>();
    const removed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    const added = [...after].filter(([k, v]) => before.get(k) !== v);
    if (removed.length > 0) out.push(`delete element ${t} ${map} { ${removed.join(', ')} }`);
    if (added.length > 0) out.push(`add element ${t} ${map} { ${added.map(([k, v]) => `${k} : ${v}`).join(', ')} }`);
  }
  const hairpinGone = [...prev.hairpin].filter((e) => !next.hairpin.has(e));
  const hairpinNew = [...next.hairpin].filter((e) => !prev.hairpin.has(e));
  if (hairpinGone.length > 0) out.push(`delete element ${t} hairpin-endpoints { ${hairpinGone.join(', ')} }`);
  if (hairpinNew.length > 0) out.push(`add element ${t} hairpin-endpoints { ${hairpinNew.join(', ')} }`);
  const gone = [...prev.chains.keys()].filter((c) => !next.chains.has(c));
  for (const chain of gone) out.push(`flush chain ${t} ${chain}`);
  for (const chain of gone) out.push(`delete chain ${t} ${chain}`);
  for (const set of prev.sets.keys()) if (!next.sets.has(set)) out.push(`delete set ${t} ${set}`);
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** normalized: a script's lines as a sorted list, elements inside `{ … }` of element lines sorted too. */
function normalized(script: string | undefined): string[] | undefined {
  if (script === undefined) return undefined;
  return script
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^((?:add|delete) element \S+ \S+ \S+) \{ (.*) \}$/.exec(l);
      return m ? `${m[1] ?? ''} { ${(m[2] ?? '').split(', ').sort().join(', ')} }` : l;
    })
    .sort();
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
