/**
 * CIDR ranges of either family, and the dual-stack range lists of `--cluster-cidr` / `--service-cidr`
 * ("10.42.0.0/16,fd00:42::/56"): at most one range per family, the first one is the cluster's primary family.
 */
import { addressBitsOf, formatIP, parseIP, type IPAddress, type IPFamily } from './ip-address.js';

/** Cidr is a network address (host bits cleared) and a prefix length. */
export interface Cidr {
  readonly family: IPFamily;
  readonly network: bigint;
  readonly bits: number;
}

/** parseCidr reads "addr/bits" of either family, clearing host bits; throws an Error naming the text. */
export function parseCidr(text: string): Cidr {
  const s = text.trim();
  const slash = s.indexOf('/');
  const addr = slash < 0 ? undefined : parseIP(s.slice(0, slash));
  const bitsText = slash < 0 ? '' : s.slice(slash + 1);
  if (!addr || !/^\d{1,3}$/.test(bitsText)) throw new Error(`Cannot parse CIDR "${text}": want a range like 10.42.0.0/16 or fd00:42::/56`);
  const bits = Number(bitsText);
  const width = addressBitsOf(addr.family);
  if (bits > width) throw new Error(`Cannot parse CIDR "${text}": the prefix length is above ${width}`);
  const hostBits = BigInt(width - bits);
  return { family: addr.family, network: (addr.value >> hostBits) << hostBits, bits };
}

/** formatCidr writes a range as "network/bits". */
export function formatCidr(c: Cidr): string {
  return `${formatIP({ family: c.family, value: c.network })}/${c.bits}`;
}

/** cidrSize is how many addresses a range holds. */
export function cidrSize(c: Cidr): bigint {
  return 1n << BigInt(addressBitsOf(c.family) - c.bits);
}

/** cidrContains says whether an address lies in a range (false across families). */
export function cidrContains(c: Cidr, a: IPAddress): boolean {
  return a.family === c.family && a.value >= c.network && a.value < c.network + cidrSize(c);
}

/** nthAddress is the range's network address plus `n`. */
export function nthAddress(c: Cidr, n: bigint | number): IPAddress {
  return { family: c.family, value: c.network + BigInt(n) };
}

/**
 * parseCidrList reads a comma list of one or two ranges, at most one per family, as upstream's
 * `--cluster-cidr` / `--service-cluster-ip-range` take them. Throws an Error whose message is one line for the
 * CLI, naming `flag`.
 */
export function parseCidrList(text: string, flag: string): Cidr[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new Error(`invalid ${flag} "${text}": want one range, or two of different families separated by a comma (e.g. 10.42.0.0/16,fd00:42::/56)`);
  if (parts.length > 2) throw new Error(`invalid ${flag} "${text}": at most two ranges, one IPv4 and one IPv6`);
  const cidrs = parts.map((p) => {
    try {
      return parseCidr(p);
    } catch {
      throw new Error(`invalid ${flag} "${text}": "${p}" is not a CIDR range like 10.42.0.0/16 or fd00:42::/56`);
    }
  });
  if (cidrs.length === 2 && cidrs[0]?.family === cidrs[1]?.family) throw new Error(`invalid ${flag} "${text}": the two ranges must be one IPv4 and one IPv6`);
  return cidrs;
}

/** cidrOfFamily picks the range of one family out of a `parseCidrList`-valid comma list, as text (undefined if none). */
export function cidrOfFamily(list: string, family: IPFamily): string | undefined {
  for (const part of list.split(',')) {
    const p = part.trim();
    try {
      if (parseCidr(p).family === family) return p;
    } catch {
      // Not a range: the list was validated where it entered (the CLI); nothing of this family here.
    }
  }
  return undefined;
}
