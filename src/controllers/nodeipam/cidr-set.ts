/**
 * CidrSet: the subnets of one cluster range handed out to nodes (upstream's cidrset), e.g. the /24s of
 * 10.42.0.0/16 or the /64s of fd00:42::/56 (a dual-stack cluster has one set per family). Allocation takes the highest free subnet: agents that choose their own subnet (simulated nodes,
 * `tkube agent --first-index`) count up from the bottom of the range, so the two meet only when the range is
 * full. A restarted controller re-marks what nodes hold and continues where it left off.
 */
import { formatCidr, parseCidr, type Cidr } from '../../base/net/cidr.js';
import { addressBitsOf, type IPFamily } from '../../base/net/ip-address.js';

/** CidrSet hands out the `maskSize` subnets of a cluster range. */
export class CidrSet {
  readonly family: IPFamily;
  readonly #range: Cidr;
  readonly #maskSize: number;
  readonly #used: Uint8Array;

  constructor(clusterCidr: string, maskSize: number) {
    const range = parseCidr(clusterCidr);
    const { bits } = range;
    const max = range.family === 'IPv4' ? 30 : 126;
    if (maskSize < bits || maskSize > max) throw new Error(`Cannot cut /${maskSize} subnets from ${clusterCidr}: the mask must lie between /${bits} and /${max}`);
    if (maskSize - bits > 20) throw new Error(`Cannot cut /${maskSize} subnets from ${clusterCidr}: more than 2^20 subnets`);
    this.family = range.family;
    this.#range = range;
    this.#maskSize = maskSize;
    this.#used = new Uint8Array(2 ** (maskSize - bits));
  }

  /** #step is the address count of one subnet. */
  get #step(): bigint {
    return 1n << BigInt(addressBitsOf(this.family) - this.#maskSize);
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
    return formatCidr({ family: this.family, network: this.#range.network + BigInt(i) * this.#step, bits: this.#maskSize });
  }

  #indexOf(cidr: string): number | undefined {
    let parsed: Cidr;
    try {
      parsed = parseCidr(cidr);
    } catch {
      return undefined;
    }
    if (parsed.family !== this.family || parsed.bits !== this.#maskSize) return undefined;
    const offset = parsed.network - this.#range.network;
    if (offset < 0n || offset >= BigInt(this.#used.length) * this.#step) return undefined;
    return Number(offset / this.#step);
  }
}
