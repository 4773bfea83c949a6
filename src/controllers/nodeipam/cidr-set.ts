/**
 * CidrSet: the subnets of one IPv4 cluster range handed out to nodes (upstream's cidrset), e.g. the /24s of
 * 10.42.0.0/16. Allocation takes the highest free subnet: agents that choose their own subnet (simulated nodes,
 * `tkube agent --first-index`) count up from the bottom of the range, so the two meet only when the range is
 * full. A restarted controller re-marks what nodes hold and continues where it left off.
 */
import { formatIPv4, parseIPv4Cidr } from '../../base/net/ipv4-cidr.js';

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
