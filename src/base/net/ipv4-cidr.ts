/**
 * IPv4 CIDR arithmetic shared by the components that cut address ranges (service IPs, node pod CIDRs).
 */

/** parseIPv4Cidr reads "a.b.c.d/n" into its network address (as a number) and prefix length. */
export function parseIPv4Cidr(cidr: string): { network: number; bits: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) throw new Error(`Cannot parse CIDR "${cidr}": want an IPv4 range like 10.42.0.0/16`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) throw new Error(`Cannot parse CIDR "${cidr}": out of range`);
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { network: (ip & mask) >>> 0, bits };
}

/** formatIPv4 writes an address held as a number in dotted form. */
export function formatIPv4(ip: number): string {
  return [24, 16, 8, 0].map((s) => (ip >>> s) & 255).join('.');
}
