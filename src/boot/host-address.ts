/**
 * defaultHostIPv4: the address other machines most likely reach this host at — its first non-loopback IPv4
 * address (kubeadm picks the default route's; the first interface is the usual answer on a single-homed host) —
 * or 127.0.0.1 when it has none.
 */
import { networkInterfaces } from 'node:os';

/** defaultHostIPv4 returns this host's first non-internal IPv4 address, else 127.0.0.1. */
export function defaultHostIPv4(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
