/**
 * CIDR arithmetic boot needs: the first host address of a range (the `kubernetes` Service IP).
 */
import { formatIPv4, parseIPv4Cidr } from '../base/net/ipv4-cidr.js';

/** firstAddressOf returns the network address + 1 of an IPv4 CIDR ("10.43.0.0/16" → "10.43.0.1"). */
export function firstAddressOf(cidr: string): string {
  const { network, bits } = parseIPv4Cidr(cidr);
  if (bits > 30) throw new Error(`Cannot parse CIDR "${cidr}": out of range`);
  return formatIPv4(network + 1);
}
