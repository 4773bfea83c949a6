/**
 * processGroupStats: what a process runtime container uses, read from /proc. A container of the process runtime is
 * one process group (its main process leads it; stop signals go to the group), so its figures are the sums over
 * the group's live members: CPU is utime + stime + cutime + cstime (children reaped inside the group count once,
 * through their parent), memory is resident pages. Without cgroups there is no page-cache accounting, so the
 * working set is the resident set, which is what the container's processes hold.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc counts CPU time in 1/100 s on Linux. */
const TICK_NS = 10_000_000;
/** The page size of every Linux architecture Node supports here (x86-64, arm64 with 4 KiB pages). */
const PAGE_BYTES = 4096;

/** GroupUsage is a process group's cumulative CPU time and resident memory. */
export interface GroupUsage {
  readonly cpuNs: number;
  readonly rssBytes: number;
}

/**
 * parseProcStat reads the fields of one /proc/<pid>/stat line this module needs, or undefined when malformed.
 * The command name (field 2) may hold spaces and parentheses, so fields are counted from its last ')'.
 */
export function parseProcStat(line: string): { pgrp: number; ticks: number; rssPages: number } | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = line.slice(close + 2).trim().split(/\s+/).map(Number);
  // After the name: state(3) ppid(4) pgrp(5) … utime(14) stime(15) cutime(16) cstime(17) … rss(24).
  const pgrp = f[2];
  const ticks = (f[11] ?? NaN) + (f[12] ?? NaN) + (f[13] ?? NaN) + (f[14] ?? NaN);
  const rssPages = f[21];
  if (pgrp === undefined || rssPages === undefined || !Number.isFinite(pgrp) || !Number.isFinite(ticks) || !Number.isFinite(rssPages)) return undefined;
  return { pgrp, ticks, rssPages };
}

/** processGroupStats sums the live members of process group `pgid`; undefined when none is left. */
export function processGroupStats(pgid: number, procDir = '/proc'): GroupUsage | undefined {
  let ticks = 0;
  let pages = 0;
  let found = false;
  for (const name of readdirSync(procDir)) {
    if (!/^\d+$/.test(name)) continue;
    let line: string;
    try {
      line = readFileSync(`${procDir}/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const s = parseProcStat(line);
    if (!s || s.pgrp !== pgid) continue;
    found = true;
    ticks += s.ticks;
    pages += s.rssPages;
  }
  return found ? { cpuNs: ticks * TICK_NS, rssBytes: pages * PAGE_BYTES } : undefined;
}
