/**
 * ImageGCManager: frees image space when the image filesystem fills up, as the kubelet's image garbage
 * collector does: above `highThresholdPercent` usage it removes unused images, least recently used first, until
 * usage is back under `lowThresholdPercent`.
 *
 * Contracts:
 *  - Never removes an image a container (running or exited) was made from, a pinned image (pause, built-ins),
 *    or an image used within `minAgeMs`.
 *  - `garbageCollect` resolves with what it did; it never throws (failures are in the result, and the caller
 *    records an `ImageGCFailed` event).
 */
import type { Clock } from '../../base/clock/clock.js';
import type { Image, ImageFsInfo } from '../cri/image-service.js';

/** GcImages is what the collector needs of an image store. */
export interface GcImages {
  listImages(): Promise<Image[]>;
  removeImage(ref: string): Promise<void>;
  imageFsInfo(): Promise<ImageFsInfo>;
  /** When a container was last made from the image (ms); undefined when never (oldest). */
  lastUsed?(id: string): number | undefined;
  /** Frees blobs no image refers to any more; resolves with bytes freed. */
  pruneBlobs?(): Promise<number>;
}

/** ImageGCPolicy are the kubelet's thresholds. */
export interface ImageGCPolicy {
  /** @default 85 */
  readonly highThresholdPercent?: number;
  /** @default 80 */
  readonly lowThresholdPercent?: number;
  /** @default 120000 (2 minutes) */
  readonly minAgeMs?: number;
}

/** ImageGCResult says what a collection did. */
export interface ImageGCResult {
  readonly removed: readonly string[];
  readonly freedBytes: number;
  /** Set when usage stayed above the high threshold (the event message). */
  readonly failure?: string;
}

/** ImageGCManager collects images; see the file comment. */
export class ImageGCManager {
  constructor(
    private readonly images: GcImages,
    private readonly inUse: () => Promise<ReadonlySet<string>>,
    private readonly clock: Clock,
    private readonly policy: ImageGCPolicy = {},
  ) {}

  /** garbageCollect runs one collection. */
  async garbageCollect(): Promise<ImageGCResult> {
    const high = this.policy.highThresholdPercent ?? 85;
    const low = this.policy.lowThresholdPercent ?? 80;
    let fs: ImageFsInfo;
    try {
      fs = await this.images.imageFsInfo();
    } catch (err) {
      return { removed: [], freedBytes: 0, failure: `failed to get image fs info: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (fs.capacityBytes <= 0 || (fs.usedBytes * 100) / fs.capacityBytes < high) return { removed: [], freedBytes: 0 };
    const want = fs.usedBytes - Math.floor((fs.capacityBytes * low) / 100);
    const used = await this.inUse();
    const now = this.clock.now();
    const minAge = this.policy.minAgeMs ?? 120_000;
    const candidates = (await this.images.listImages())
      .filter((i) => !i.pinned && !used.has(i.id))
      .map((i) => ({ image: i, last: this.images.lastUsed?.(i.id) ?? 0 }))
      .filter((c) => now - c.last >= minAge)
      .sort((a, b) => a.last - b.last);
    const removed: string[] = [];
    let freed = 0;
    for (const c of candidates) {
      if (freed >= want) break;
      try {
        await this.images.removeImage(c.image.id);
      } catch {
        continue;
      }
      removed.push(c.image.id);
      freed += this.images.pruneBlobs ? await this.images.pruneBlobs() : c.image.size;
    }
    if (freed < want) return { removed, freedBytes: freed, failure: `Failed to garbage collect required amount of images. Attempted to free ${want} bytes, but only found ${freed} bytes eligible to free.` };
    return { removed, freedBytes: freed };
  }
}
