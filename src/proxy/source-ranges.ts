/**
 * Load-balancer source ranges (`spec.loadBalancerSourceRanges`): the CIDRs allowed to reach a LoadBalancer
 * Service's load-balancer addresses. Every proxier enforces the same normalised list, so the rules they write (an
 * nft set, iptables `-s` rules) and the userspace check agree.
 */
import { formatIPv4, parseIPv4Cidr } from '../base/net/ipv4-cidr.js';

/** The annotation older clients used before the field existed (upstream still honours it when the field is empty). */
export const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

interface Range {
  readonly network: number;
  readonly bits: number;
}

function contains(outer: Range, inner: Range): boolean {
  if (outer.bits > inner.bits) return false;
  const mask = outer.bits === 0 ? 0 : (0xffffffff << (32 - outer.bits)) >>> 0;
  return ((inner.network & mask) >>> 0) === outer.network;
}

/**
 * normalizeSourceRanges: the IPv4 ranges of a Service's list, trimmed (upstream allows space padding), written with
 * their network address, ranges inside another one dropped (nft refuses overlapping intervals in one set), sorted.
 * IPv6 and malformed entries are skipped (the API server refuses malformed ones; the proxy is IPv4). A list that
 * allows everyone (`0.0.0.0/0`) comes back empty: no filtering at all.
 */
export function normalizeSourceRanges(ranges: readonly string[]): string[] {
  const parsed: Range[] = [];
  for (const raw of ranges) {
    const s = raw.trim();
    if (s === '' || s.includes(':')) continue;
    try {
      parsed.push(parseIPv4Cidr(s.includes('/') ? s : `${s}/32`));
    } catch {
      // Malformed: skipped (see above).
    }
  }
  if (parsed.some((r) => r.bits === 0)) return [];
  const kept = parsed.filter((r, i) => !parsed.some((o, j) => j !== i && contains(o, r) && (o.bits < r.bits || j < i)));
  return kept.sort((a, b) => a.network - b.network || a.bits - b.bits).map((r) => `${formatIPv4(r.network)}/${r.bits}`);
}

/** sourceRangesOf reads a Service's ranges: the field, else the annotation's comma-separated list. */
export function sourceRangesOf(field: readonly string[] | undefined, annotations: Readonly<Record<string, string>> | undefined): string[] {
  if (field && field.length > 0) return normalizeSourceRanges(field);
  const annotation = annotations?.[SOURCE_RANGES_ANNOTATION];
  return annotation ? normalizeSourceRanges(annotation.split(',')) : [];
}

/** sourceRangeMatcher: a test of a client address against normalised ranges (the userspace proxy's firewall). */
export function sourceRangeMatcher(ranges: readonly string[]): (ip: string) => boolean {
  const parsed = ranges.map((r) => parseIPv4Cidr(r));
  return (ip) => {
    const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
    if (v4.includes(':')) return false;
    let addr: Range;
    try {
      addr = parseIPv4Cidr(`${v4}/32`);
    } catch {
      return false;
    }
    return parsed.some((r) => contains(r, addr));
  };
}
