/**
 * CIDR arithmetic boot needs: the first host address of a range (the `kubernetes` Service IP), and the IPv4
 * member of a dual-stack range list.
 */
import { cidrOfFamily } from '../base/net/cidr.js';
import { formatIPv4, parseIPv4Cidr } from '../base/net/ipv4-cidr.js';

/**
 * ipv4RangeOf picks the IPv4 range of a `--cluster-cidr` / `--service-cidr` list ("10.42.0.0/16,fd00:42::/56" →
 * "10.42.0.0/16"): the parts of tkube that are IPv4-only take it. A list without one is returned unchanged, for
 * the IPv4 parser to refuse with its own message (the CLI requires an IPv4 range).
 */
export function ipv4RangeOf(list: string): string {
  return cidrOfFamily(list, 'IPv4') ?? list;
}

/** firstAddressOf returns the network address + 1 of an IPv4 CIDR ("10.43.0.0/16" → "10.43.0.1"). */
export function firstAddressOf(cidr: string): string {
  const { network, bits } = parseIPv4Cidr(cidr);
  if (bits > 30) throw new Error(`Cannot parse CIDR "${cidr}": out of range`);
  return formatIPv4(network + 1);
}
