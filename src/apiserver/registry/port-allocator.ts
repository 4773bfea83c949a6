/**
 * NodePortAllocator hands out Service node ports from a range (default 30000–32767, `--service-node-port-range`).
 * State is in memory and rebuilt from stored Services at start.
 */

/** DEFAULT_NODE_PORT_RANGE is upstream's default range. */
export const DEFAULT_NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** PortAllocationError says why a requested port cannot be had. */
export class PortAllocationError extends Error {
  constructor(
    readonly port: number,
    message: string,
  ) {
    super(message);
    this.name = 'PortAllocationError';
  }
}

/** NodePortAllocator allocates ports of one range. */
export class NodePortAllocator {
  readonly min: number;
  readonly max: number;
  #used = new Set<number>();
  #random: () => number;

  constructor(range: { min: number; max: number } = DEFAULT_NODE_PORT_RANGE, random: () => number = Math.random) {
    if (!(range.min > 0 && range.max >= range.min && range.max < 65536)) {
      throw new Error(`Cannot use node port range ${range.min}-${range.max}: want 1 <= min <= max <= 65535`);
    }
    this.min = range.min;
    this.max = range.max;
    this.#random = random;
  }

  /** allocate returns a free port, starting at a random offset. */
  allocate(): number {
    const size = this.max - this.min + 1;
    const start = Math.floor(this.#random() * size);
    for (let i = 0; i < size; i++) {
      const port = this.min + ((start + i) % size);
      if (!this.#used.has(port)) {
        this.#used.add(port);
        return port;
      }
    }
    throw new PortAllocationError(0, 'range is full');
  }

  /** allocateSpecific takes `port`, or throws PortAllocationError with upstream's wording. */
  allocateSpecific(port: number): void {
    if (port < this.min || port > this.max) {
      throw new PortAllocationError(port, `provided port is not in the valid range. The range of valid ports is ${this.min}-${this.max}`);
    }
    if (this.#used.has(port)) throw new PortAllocationError(port, 'provided port is already allocated');
    this.#used.add(port);
  }

  /** release frees `port`. */
  release(port: number): void {
    this.#used.delete(port);
  }

  /** has reports whether `port` is allocated. */
  has(port: number): boolean {
    return this.#used.has(port);
  }

  /** reset forgets every allocation (before a rebuild). */
  reset(): void {
    this.#used.clear();
  }
}
