/**
 * smaps-summary: a process's resident memory by kind of mapping, from /proc/<pid>/smaps — where RSS is, when V8's
 * own figures (used heap, total heap, external) do not add up to it (issue 5).
 *
 * Kinds: `heap` is the C heap glibc grows with brk (`[heap]`: small and medium mallocs, so Buffers' contents below
 * the mmap threshold); `anon` every other anonymous mapping (V8's heap pages, large mallocs, thread stacks' arenas);
 * `file` mappings of files (the node binary, shared libraries); `other` the rest (`[stack]`, `[vvar]`…).
 */
import { readFileSync } from 'node:fs';

/** SmapsSummary is resident MiB by kind of mapping, their sum, and the number of anonymous mappings. */
export interface SmapsSummary {
  readonly heapMb: number;
  readonly anonMb: number;
  readonly fileMb: number;
  readonly otherMb: number;
  readonly totalMb: number;
  /** Anonymous mappings other than `[heap]`: each large malloc (≥ the mmap threshold) is one. */
  readonly anonMappings: number;
}

const HEADER = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/;

/** summarizeSmapsText sums the `Rss:` lines of /proc/<pid>/smaps text by kind of mapping. */
export function summarizeSmapsText(text: string): SmapsSummary {
  const kb = { heap: 0, anon: 0, file: 0, other: 0 };
  let kind: keyof typeof kb = 'other';
  let anonMappings = 0;
  for (const line of text.split('\n')) {
    const header = HEADER.exec(line);
    if (header !== null) {
      const name = header[1]!;
      if (name === '[heap]') kind = 'heap';
      else if (name === '') { kind = 'anon'; anonMappings++; }
      else if (name.startsWith('/')) kind = 'file';
      else kind = 'other';
      continue;
    }
    if (line.startsWith('Rss:')) kb[kind] += Number(/(\d+)/.exec(line)?.[1] ?? 0);
  }
  const mb = (n: number): number => Math.round(n / 1024);
  return { heapMb: mb(kb.heap), anonMb: mb(kb.anon), fileMb: mb(kb.file), otherMb: mb(kb.other), totalMb: mb(kb.heap + kb.anon + kb.file + kb.other), anonMappings };
}

/** summarizeSmaps summarizes a live process's mappings (see summarizeSmapsText). */
export function summarizeSmaps(pid: number): SmapsSummary {
  return summarizeSmapsText(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
}
