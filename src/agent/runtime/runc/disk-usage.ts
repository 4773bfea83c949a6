/**
 * diskUsage: bytes a directory tree takes on disk (allocated blocks, as `du` counts, so sparse files count what
 * they hold), for a container's writable layer — the overlay's upper dir, which holds only what the container
 * wrote. Hard links are counted once. Unreadable entries count as 0: usage is an estimate, never an error.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** diskUsage sums the allocated bytes under `dir`, visiting at most `maxEntries` entries. */
export function diskUsage(dir: string, maxEntries = 100_000): number {
  const seen = new Set<string>();
  let total = 0;
  let visited = 0;
  const stack = [dir];
  while (stack.length > 0 && visited < maxEntries) {
    const path = stack.pop() ?? '';
    visited++;
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (st.nlink > 1 && !st.isDirectory()) {
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    if (path !== dir) total += st.blocks * 512;
    if (st.isDirectory()) {
      try {
        for (const name of readdirSync(path)) stack.push(join(path, name));
      } catch {
        // Unreadable: counted as empty.
      }
    }
  }
  return total;
}
