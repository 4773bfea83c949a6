/**
 * The record of the node's NetworkPolicy table: `<dir>/table.json` names the table the node's controller owns, so
 * a clean-up that runs without the agent (`tkube down`, tests) can find and remove it.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PolicyTableRecord {
  readonly table: string;
}

/** writePolicyTableRecord records `table` under `dir` (created if missing). */
export function writePolicyTableRecord(dir: string, record: PolicyTableRecord): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'table.json');
  writeFileSync(`${path}.tmp`, JSON.stringify(record));
  renameSync(`${path}.tmp`, path);
}

/** readPolicyTableRecord reads the record under `dir`, if there is a readable one. */
export function readPolicyTableRecord(dir: string): PolicyTableRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8')) as Partial<PolicyTableRecord>;
    return typeof r.table === 'string' ? { table: r.table } : undefined;
  } catch {
    return undefined;
  }
}
