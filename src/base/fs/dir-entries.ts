/**
 * dirEntries lists a directory's entry names, or none when it cannot be read (it does not exist yet, or is not a
 * directory): for callers that ask "is anything there?" of a directory that may be absent.
 */
import { readdirSync } from 'node:fs';

export function dirEntries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
