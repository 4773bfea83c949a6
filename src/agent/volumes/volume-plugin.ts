/**
 * What every volume plugin is handed and hands back. A plugin makes one volume of one pod usable on the node
 * and says where it is (`path`), or why not (`error`, upstream's wording; the kubelet reports it as a
 * FailedMount event and retries). Plugins never throw for expected outcomes; a thrown error is an I/O failure.
 */
import type { Clock } from '../../base/clock/clock.js';
import type { NodeAllocatable } from '../downward/field-ref.js';
import type { ObjectSource } from '../object-source.js';
import type { PodView, Volume } from '../pod-spec.js';
import type { Mounter } from './mounter.js';
import type { TokenCache } from './token-cache.js';

/** VolumeContext is one set-up call's input. */
export interface VolumeContext {
  readonly pod: PodView;
  readonly volume: Volume;
  /** The volume's own directory, `<rootDir>/pods/<uid>/volumes/<plugin>/<name>` (plugins that need one). */
  readonly dir: string;
  readonly source: ObjectSource;
  readonly node: NodeAllocatable;
  readonly clock: Clock;
  readonly mounter: Mounter;
  readonly tokens: TokenCache;
}

/** SetUpResult: the host path to bind into containers (and whether it must be read-only), or an error. */
export type SetUpResult = { readonly path: string; readonly readOnly: boolean; readonly error?: undefined } | { readonly error: string; readonly path?: undefined };

/** The plugin directory names, upstream's escaped plugin names. */
export const PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  projected: 'kubernetes.io~projected',
  downwardAPI: 'kubernetes.io~downward-api',
} as const;
