/**
 * The `pod-template-hash` label: a short, stable name for a pod template, so a Deployment's ReplicaSet for a template
 * is found again (and named `<deployment>-<hash>`). Like upstream it is an FNV-1a 32-bit hash of the template (here
 * of its JSON with sorted keys) and of the Deployment's collisionCount, written with upstream's alphabet of
 * characters that never spell words (no vowels, no easily confused digits).
 */
import { semanticJson } from '../../api/meta/semantic-json.js';

/** POD_TEMPLATE_HASH_LABEL is the label a Deployment adds to its ReplicaSets' selectors and pod templates. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';


const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  const bytes = Buffer.from(text, 'utf8');
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** podTemplateHash names a template (with the Deployment's collisionCount, which changes it after a name clash). */
export function podTemplateHash(template: unknown, collisionCount = 0): string {
  const digits = String(fnv1a32(`${semanticJson(template)}#${collisionCount}`));
  let out = '';
  for (const ch of digits) out += SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length];
  return out;
}
