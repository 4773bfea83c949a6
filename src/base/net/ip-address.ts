/**
 * IP addresses of both families held as a family and a bigint, so that range arithmetic (service IPs, pod
 * CIDRs) is the same code for IPv4 and IPv6. Formatting follows RFC 5952 (lower case, longest run of zero groups
 * compressed, IPv4 dotted), which is how Go's net.IP prints them and so what users see from upstream.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** IPFamily uses the API's spelling (Service `ipFamilies`, EndpointSlice `addressType`). */
export type IPFamily = 'IPv4' | 'IPv6';

/** IPAddress is one address of one family. */
export interface IPAddress {
  readonly family: IPFamily;
  readonly value: bigint;
}

/** addressBitsOf is the address width of a family. */
export function addressBitsOf(family: IPFamily): 32 | 128 {
  return family === 'IPv4' ? 32 : 128;
}

/** ipFamilyOf says which family a textual address is, or undefined when it is no address. */
export function ipFamilyOf(s: string): IPFamily | undefined {
  if (isIPv4(s)) return 'IPv4';
  if (isIPv6(s)) return 'IPv6';
  return undefined;
}

function parseV4Value(s: string): bigint {
  return s.split('.').reduce((acc, o) => acc * 256n + BigInt(Number(o)), 0n);
}

/** parseIP reads an IPv4 or IPv6 address (IPv6 with an embedded dotted IPv4 tail included); undefined when invalid. */
export function parseIP(s: string): IPAddress | undefined {
  if (isIPv4(s)) return { family: 'IPv4', value: parseV4Value(s) };
  if (!isIPv6(s) || s.includes('%')) return undefined;
  let text = s.toLowerCase();
  // A dotted IPv4 tail ("::ffff:10.0.0.1") becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = parseV4Value(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  if (groups.length !== 8) return undefined;
  const value = groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
  return { family: 'IPv6', value };
}

/** formatIP writes an address in its canonical text form. */
export function formatIP(a: IPAddress): string {
  if (a.family === 'IPv4') return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 255n)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  // The longest run of two or more zero groups (the first of equal runs) becomes "::".
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

/** canonicalIP rewrites a textual address in canonical form ("FD00:0::1" → "fd00::1"); undefined when invalid. */
export function canonicalIP(s: string): string | undefined {
  const a = parseIP(s);
  return a ? formatIP(a) : undefined;
}
