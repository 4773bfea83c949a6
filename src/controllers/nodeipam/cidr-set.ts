/**
 * CidrSet: the subnets of one IPv4 cluster range handed out to nodes (upstream's cidrset), e.g. the /24s of
 * 10.42.0.0/16. Allocation takes the highest free subnet: agents that choose their own subnet (simulated nodes,
 * `tkube agent --first-index`) count up from the bottom of the range, so the two meet only when the range is
 * full. A restarted controller re-marks what nodes hold and continues where it left off.
 */

/** parseIPv4Cidr reads "a.b.c.d/n" into a network address (number) and prefix length. */
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

function formatIPv4(ip: number): string {
  return [24, 16, 8, 0].map((s) => (ip >>> s) & 255).join('.');
}

/** CidrSet hands out the `maskSize` subnets of a cluster range. */
export class CidrSet {
  readonly #network: number;
  readonly #bits: number;
  readonly #maskSize: number;
  readonly #used: Uint8Array;

  constructor(clusterCidr: string, maskSize: number) {
    const { network, bits } = parseIPv4Cidr(clusterCidr);
    if (maskSize < bits || maskSize > 30) throw new Error(`Cannot cut /${maskSize} subnets from ${clusterCidr}: the mask must lie between /${bits} and /30`);
    if (maskSize - bits > 20) throw new Error(`Cannot cut /${maskSize} subnets from ${clusterCidr}: more than 2^20 subnets`);
    this.#network = network;
    this.#bits = bits;
    this.#maskSize = maskSize;
    this.#used = new Uint8Array(2 ** (maskSize - bits));
  }

  /** size is how many subnets the range holds. */
  get size(): number {
    return this.#used.length;
  }

  /** allocate takes the highest free subnet, or undefined when the range is used up. */
  allocate(): string | undefined {
    const i = this.#used.lastIndexOf(0);
    if (i < 0) return undefined;
    this.#used[i] = 1;
    return this.#cidrAt(i);
  }

  /** occupy marks a subnet as taken (a node already holds it); false when it is not one of this range's subnets. */
  occupy(cidr: string): boolean {
    const i = this.#indexOf(cidr);
    if (i === undefined) return false;
    this.#used[i] = 1;
    return true;
  }

  /** release frees a subnet; unknown ones are ignored. */
  release(cidr: string): void {
    const i = this.#indexOf(cidr);
    if (i !== undefined) this.#used[i] = 0;
  }

  #cidrAt(i: number): string {
    return `${formatIPv4((this.#network + i * 2 ** (32 - this.#maskSize)) >>> 0)}/${this.#maskSize}`;
  }

  #indexOf(cidr: string): number | undefined {
    let parsed: { network: number; bits: number };
    try {
      parsed = parseIPv4Cidr(cidr);
    } catch {
      return undefined;
    }
    if (parsed.bits !== this.#maskSize) return undefined;
    const offset = parsed.network - this.#network;
    const span = 2 ** (32 - this.#bits);
    if (offset < 0 || offset >= span) return undefined;
    return offset / 2 ** (32 - this.#maskSize);
  }
}
