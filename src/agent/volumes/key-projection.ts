/**
 * Turning a ConfigMap's or Secret's keys into files: every key at the volume's root, or only the listed `items`
 * at their paths, each with the item's mode or the default. Upstream's errors for a listed key that is missing
 * (unless optional) and for unsafe paths.
 */
import { validatePayloadPath, type FileProjection } from './atomic-writer.js';
import type { DataObject, KeyToPath } from '../pod-spec.js';

/** DEFAULT_MODE is upstream's mode for projected files (0644). */
export const DEFAULT_MODE = 0o644;

/** objectBytes returns the object's values as bytes: ConfigMap data + binaryData, or a Secret's decoded data. */
export function objectBytes(obj: DataObject | undefined, secret: boolean): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if (!obj) return out;
  for (const [k, v] of Object.entries(obj.data ?? {})) out.set(k, secret ? Buffer.from(v, 'base64') : Buffer.from(v, 'utf8'));
  if (!secret) for (const [k, v] of Object.entries(obj.binaryData ?? {})) out.set(k, Buffer.from(v, 'base64'));
  return out;
}

/** projectKeys adds the files to `payload`; resolves to an error message or undefined. */
export function projectKeys(payload: Map<string, FileProjection>, data: ReadonlyMap<string, Buffer>, items: readonly KeyToPath[] | undefined, defaultMode: number, optional: boolean, secret: boolean): string | undefined {
  if (!items || items.length === 0) {
    for (const [k, v] of data) payload.set(k, { data: v, mode: defaultMode });
    return undefined;
  }
  for (const item of items) {
    const bad = validatePayloadPath(item.path);
    if (bad) return bad;
    const v = data.get(item.key);
    if (v === undefined) {
      if (optional) continue;
      return secret ? `references non-existent secret key: ${item.key}` : `configmap references non-existent config key: ${item.key}`;
    }
    payload.set(item.path, { data: v, mode: item.mode ?? defaultMode });
  }
  return undefined;
}
