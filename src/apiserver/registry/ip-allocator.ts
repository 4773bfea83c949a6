/**
 * ClusterIpAllocator hands out Service cluster IPs from an IPv4 CIDR (`--service-cidr`, default 10.43.0.0/16).
 * The network and broadcast addresses are never handed out. The first address (.1, the `kubernetes` Service) and
 * the tenth (.10, cluster DNS) are reserved from dynamic allocation but may be requested explicitly. State is
 * in memory and rebuilt from the stored Services at start (ServiceAllocation.rebuild).
 */

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

function parseIpv4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** ClusterIpAllocator allocates addresses of one CIDR. */
export class ClusterIpAllocator {
  readonly cidr: string;
  #base: number;
  #size: number;
  #used = new Set<number>();
  #next = 0;

  constructor(cidr: string = DEFAULT_SERVICE_CIDR) {
    const [addr = '', bitsText = ''] = cidr.split('/');
    const base = parseIpv4(addr);
    const bits = Number(bitsText);
    if (base === undefined || !/^\d+$/.test(bitsText) || bits < 8 || bits > 30) {
      throw new Error(`Cannot use service CIDR "${cidr}": want an IPv4 CIDR with a prefix length between 8 and 30`);
    }
    this.#size = 2 ** (32 - bits);
    this.#base = base - (base % this.#size);
    this.cidr = `${formatIpv4(this.#base)}/${bits}`;
  }

  /** nth returns the n-th address of the range (1 = the `kubernetes` Service, 10 = DNS). */
  nth(n: number): string {
    return formatIpv4(this.#base + n);
  }

  #offset(ip: string): number | undefined {
    const n = parseIpv4(ip);
    if (n === undefined) return undefined;
    const off = n - this.#base;
    return off >= 1 && off < this.#size - 1 ? off : undefined;
  }

  /** allocate returns a free address, never .1 or .10. Throws IpAllocationError('full') when none is left. */
  allocate(): string {
    const usable = this.#size - 2;
    for (let i = 0; i < usable; i++) {
      const off = ((this.#next + i) % usable) + 1;
      if (off === 1 || off === 10 || this.#used.has(off)) continue;
      this.#used.add(off);
      this.#next = off;
      return formatIpv4(this.#base + off);
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
