/**
 * HostLocalIpam: pod IPs of one node's pod CIDR (IPv4 or IPv6; a dual-stack node runs one per family), remembered on disk (CNI host-local's role). The address policy
 * is PodIpAllocator's (network + 2 upwards, network + 1 being the bridge, never the broadcast address); this
 * class adds the record: one file per address in use, named after the address and holding the sandbox ID, so a
 * restarted agent hands out nothing twice and finds every sandbox's address again.
 *
 * Contracts: `allocate` is idempotent per sandbox ID; `release` is a no-op for unknown IDs; files are written
 * temp + rename, so a crash leaves either the old record or the new one.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipFamilyOf } from '../../base/net/ip-address.js';
import { PodIpAllocator } from '../pod-ip-allocator.js';

/** HostLocalIpam hands out the addresses of `cidr`, keeping its record in `dir`. */
export class HostLocalIpam {
  readonly cidr: string;
  readonly #dir: string;
  readonly #allocator: PodIpAllocator;

  /** Throws when `cidr` is not an IPv4 or IPv6 range that fits pods (a clear message for the operator). */
  constructor(dir: string, cidr: string) {
    this.cidr = cidr;
    // A directory per range: a node given another pod CIDR starts afresh instead of reading foreign addresses.
    this.#dir = join(dir, cidr.replace('/', '_'));
    this.#allocator = new PodIpAllocator(cidr);
    mkdirSync(this.#dir, { recursive: true });
    for (const name of readdirSync(this.#dir)) {
      // Record files are named after their address (temp files start with a dot).
      if (ipFamilyOf(name) === undefined) continue;
      const owner = readFileSync(join(this.#dir, name), 'utf8').trim();
      if (owner) this.#allocator.reserve(owner, name);
    }
  }

  /** allocate returns the sandbox's address, assigning and recording a free one the first time. Throws when full. */
  allocate(sandboxId: string): string {
    const known = this.#allocator.owners().get(sandboxId);
    if (known) return known;
    const ip = this.#allocator.allocate(sandboxId);
    try {
      const tmp = join(this.#dir, `.${ip}.tmp`);
      writeFileSync(tmp, sandboxId);
      renameSync(tmp, join(this.#dir, ip));
    } catch (err) {
      this.#allocator.release(sandboxId);
      throw err;
    }
    return ip;
  }

  /** addressOf is the sandbox's address, if it has one. */
  addressOf(sandboxId: string): string | undefined {
    return this.#allocator.owners().get(sandboxId);
  }

  /** allocations lists sandbox ID → address. */
  allocations(): Map<string, string> {
    return this.#allocator.owners();
  }

  /** release frees the sandbox's address. */
  release(sandboxId: string): void {
    const ip = this.#allocator.owners().get(sandboxId);
    if (!ip) return;
    rmSync(join(this.#dir, ip), { force: true });
    this.#allocator.release(sandboxId);
  }
}
