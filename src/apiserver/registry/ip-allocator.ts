/**
 * ClusterIpAllocator hands out Service cluster IPs from one range of `--service-cidr` (default 10.43.0.0/16); a
 * dual-stack cluster has one allocator per family. The network address is never handed out, nor the IPv4
 * broadcast address. The first address (.1, the `kubernetes` Service) and
 * the tenth (.10, cluster DNS) are reserved from dynamic allocation but may be requested explicitly. State is
 * in memory and rebuilt from the stored Services at start (ServiceAllocation.rebuild).
 */

import { cidrContains, formatCidr, parseCidr, type Cidr } from '../../base/net/cidr.js';
import { formatIP, parseIP, type IPFamily } from '../../base/net/ip-address.js';

/** DEFAULT_SERVICE_CIDR is k3s's default service range. */
export const DEFAULT_SERVICE_CIDR = '10.43.0.0/16';

/** IpAllocationError says why a requested IP cannot be had. */
export class IpAllocationError extends Error {
  constructor(
    readonly ip: string,
    readonly why: 'not-in-range' | 'allocated' | 'full',
    message: string,
  ) {
    super(message);
    this.name = 'IpAllocationError';
  }
}

/** ClusterIpAllocator allocates addresses of one CIDR. */
export class ClusterIpAllocator {
  readonly cidr: string;
  readonly family: IPFamily;
  #range: Cidr;
  /** Offsets from the network address that may be handed out: 1 … #size - 1 (IPv4: - 2, no broadcast). */
  #size: number;
  #used = new Set<number>();
  #next = 0;

  constructor(cidr: string = DEFAULT_SERVICE_CIDR) {
    let range: Cidr;
    try {
      range = parseCidr(cidr);
    } catch {
      throw new Error(`Cannot use service CIDR "${cidr}": want an IPv4 CIDR with a prefix length between 8 and 30, or an IPv6 CIDR with one between 108 and 126`);
    }
    // IPv6 ranges are limited to 2^20 addresses, as upstream's --service-cluster-ip-range is (a /108 or smaller).
    const ok = range.family === 'IPv4' ? range.bits >= 8 && range.bits <= 30 : range.bits >= 108 && range.bits <= 126;
    if (!ok) throw new Error(`Cannot use service CIDR "${cidr}": want an IPv4 CIDR with a prefix length between 8 and 30, or an IPv6 CIDR with one between 108 and 126`);
    this.#range = range;
    this.family = range.family;
    this.#size = 2 ** ((range.family === 'IPv4' ? 32 : 128) - range.bits);
    this.cidr = formatCidr(range);
  }

  /** #limit is one past the highest offset that may be handed out. */
  get #limit(): number {
    return this.family === 'IPv4' ? this.#size - 1 : this.#size;
  }

  #format(off: number): string {
    return formatIP({ family: this.family, value: this.#range.network + BigInt(off) });
  }

  /** nth returns the n-th address of the range (1 = the `kubernetes` Service, 10 = DNS). */
  nth(n: number): string {
    return this.#format(n);
  }

  /** contains says whether `ip` is an address of this range (of this family). */
  contains(ip: string): boolean {
    const a = parseIP(ip);
    return a !== undefined && cidrContains(this.#range, a);
  }

  #offset(ip: string): number | undefined {
    const a = parseIP(ip);
    if (!a || !cidrContains(this.#range, a)) return undefined;
    const off = Number(a.value - this.#range.network);
    return off >= 1 && off < this.#limit ? off : undefined;
  }

  /** allocate returns a free address, never .1 or .10. Throws IpAllocationError('full') when none is left. */
  allocate(): string {
    const usable = this.#limit - 1;
    for (let i = 0; i < usable; i++) {
      const off = ((this.#next + i) % usable) + 1;
      if (off === 1 || off === 10 || this.#used.has(off)) continue;
      this.#used.add(off);
      this.#next = off;
      return this.#format(off);
    }
    throw new IpAllocationError('', 'full', `range is full`);
  }

  /** allocateSpecific takes `ip`, or throws IpAllocationError with upstream's wording. */
  allocateSpecific(ip: string): void {
    const off = this.#offset(ip);
    if (off === undefined) {
      throw new IpAllocationError(ip, 'not-in-range', `provided IP is not in the valid range. The range of valid IPs is ${this.cidr}`);
    }
    if (this.#used.has(off)) throw new IpAllocationError(ip, 'allocated', 'provided IP is already allocated');
    this.#used.add(off);
  }

  /** release frees `ip`; unknown or foreign addresses are ignored. */
  release(ip: string): void {
    const off = this.#offset(ip);
    if (off !== undefined) this.#used.delete(off);
  }

  /** has reports whether `ip` is allocated. */
  has(ip: string): boolean {
    const off = this.#offset(ip);
    return off !== undefined && this.#used.has(off);
  }

  /** reset forgets every allocation (before a rebuild). */
  reset(): void {
    this.#used.clear();
  }
}
