/**
 * The node's images as the kubelet reports them in `node.status.images`: largest first, at most
 * NODE_STATUS_MAX_IMAGES of them (upstream's nodeStatusMaxImages), each named by its repo digests then its repo
 * tags, at most MAX_NAMES_PER_IMAGE names (as upstream, to bound the Node object's size).
 */
import type { Image } from '../cri/image-service.js';

/** NODE_STATUS_MAX_IMAGES is upstream's default nodeStatusMaxImages. */
export const NODE_STATUS_MAX_IMAGES = 50;
/** MAX_NAMES_PER_IMAGE is upstream's MaxNamesPerImageInNodeStatus. */
export const MAX_NAMES_PER_IMAGE = 5;

/** ContainerImage is a core/v1 ContainerImage. */
export interface ContainerImage {
  readonly names: string[];
  readonly sizeBytes: number;
}

/** nodeImages turns the image store's list into node.status.images. */
export function nodeImages(images: readonly Image[], max = NODE_STATUS_MAX_IMAGES): ContainerImage[] {
  return [...images]
    .sort((a, b) => b.size - a.size)
    .slice(0, max)
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags].slice(0, MAX_NAMES_PER_IMAGE), sizeBytes: i.size }));
}
