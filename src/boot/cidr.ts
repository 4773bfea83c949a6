/**
 * CIDR arithmetic boot needs: the first host address of a range (the `kubernetes` Service IP).
 */

/** firstAddressOf returns the network address + 1 of an IPv4 CIDR ("10.43.0.0/16" → "10.43.0.1"). */
export function firstAddressOf(cidr: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error(`Cannot parse CIDR "${cidr}": want an IPv4 range like 10.43.0.0/16`);
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 30) throw new Error(`Cannot parse CIDR "${cidr}": out of range`);
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const first = ((ip & mask) >>> 0) + 1;
  return [24, 16, 8, 0].map((s) => (first >>> s) & 255).join('.');
}
