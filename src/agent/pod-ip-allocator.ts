/**
 * PodIpAllocator hands out pod IPs from a node's pod CIDR, IPv4 or IPv6 (a dual-stack node has one of each):
 * network + 2 upwards (network + 1 is the node's bridge by convention), reusing released addresses; the IPv4
 * broadcast address is never used. An IPv6 range (a /64) is used only up to its first 2^16 addresses: plenty
 * for one node's pods, and the search for a free one stays short.
 */
import { parseCidr, type Cidr } from '../base/net/cidr.js';
import { formatIP, parseIP } from '../base/net/ip-address.js';

/** IPV6_POD_ADDRESSES caps the addresses of an IPv6 pod CIDR that are handed out. */
const IPV6_POD_ADDRESSES = 2 ** 16;

/** parseIPv4Cidr reads "10.42.0.0/24" as its first address (a 32-bit number, host bits cleared) and its size. */
export function parseIPv4Cidr(cidr: string): { base: number; size: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m) throw new Error(`Cannot parse pod CIDR "${cidr}": want an IPv4 range like 10.42.0.0/24`);
  const bits = Number(m[5]);
  if (bits > 30) throw new Error(`Cannot parse pod CIDR "${cidr}": too small for pods`);
  const ip = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

/** formatIPv4 renders a 32-bit number as dotted quads. */
export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** subnetOf returns the `index`-th subnet of prefix length `bits` inside `cidr` ("10.42.0.0/16", 24, 3 → "10.42.3.0/24"). */
export function subnetOf(cidr: string, bits: number, index: number): string {
  const { base, size } = parseIPv4Cidr(cidr);
  const sub = 2 ** (32 - bits);
  const count = Math.max(1, Math.floor(size / sub));
  return `${formatIPv4(base + (index % count) * sub)}/${bits}`;
}

/** PodIpAllocator assigns addresses of one pod CIDR. */
export class PodIpAllocator {
  readonly #cidr: string;
  readonly #range: Cidr;
  /** Offsets from the network address usable for pods are 2 … #size - 2. */
  readonly #size: number;
  readonly #byOwner = new Map<string, number>();
  readonly #used = new Set<number>();
  #next = 2;

  constructor(cidr: string) {
    // IPv4 keeps its own parser's messages (too small, bad text).
    if (!cidr.includes(':')) parseIPv4Cidr(cidr);
    let range: Cidr;
    try {
      range = parseCidr(cidr);
    } catch {
      throw new Error(`Cannot parse pod CIDR "${cidr}": want a range like 10.42.0.0/24 or fd00:42::/64`);
    }
    if (range.family === 'IPv6' && range.bits > 126) throw new Error(`Cannot parse pod CIDR "${cidr}": too small for pods`);
    this.#cidr = cidr;
    this.#range = range;
    // IPv6: one more than the cap, as the last offset is never handed out (like the IPv4 broadcast address).
    this.#size = range.family === 'IPv4' ? 2 ** (32 - range.bits) : Math.min(2 ** Math.min(52, 128 - range.bits), IPV6_POD_ADDRESSES + 1);
  }

  #format(offset: number): string {
    return formatIP({ family: this.#range.family, value: this.#range.network + BigInt(offset) });
  }

  /** allocate returns the owner's address, assigning a free one the first time. Throws when the range is full. */
  allocate(owner: string): string {
    const have = this.#byOwner.get(owner);
    if (have !== undefined) return this.#format(have);
    for (let tried = 0; tried < this.#size; tried++) {
      const offset = this.#next;
      this.#next = this.#next + 1 >= this.#size - 1 ? 2 : this.#next + 1;
      if (this.#used.has(offset)) continue;
      this.#used.add(offset);
      this.#byOwner.set(owner, offset);
      return this.#format(offset);
    }
    throw new Error(`Cannot allocate pod IP: all ${Math.max(0, this.#size - 3)} addresses of the node's pod CIDR ${this.#cidr} are in use`);
  }

  /** reserve records an address already in use (after an agent restart). */
  reserve(owner: string, ip: string): void {
    const a = parseIP(ip);
    if (!a || a.family !== this.#range.family) return;
    const diff = a.value - this.#range.network;
    if (diff <= 0n || diff >= BigInt(this.#size)) return;
    const offset = Number(diff);
    this.#used.add(offset);
    this.#byOwner.set(owner, offset);
  }

  /** owners lists who holds which address. */
  owners(): Map<string, string> {
    return new Map([...this.#byOwner].map(([owner, offset]) => [owner, this.#format(offset)]));
  }

  /** release frees the owner's address. */
  release(owner: string): void {
    const offset = this.#byOwner.get(owner);
    if (offset === undefined) return;
    this.#byOwner.delete(owner);
    this.#used.delete(offset);
  }
}
