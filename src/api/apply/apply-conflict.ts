/**
 * ApplyConflict: a field an apply would change that another manager owns, and the 409 Status that reports a
 * list of them with upstream's wording (`Apply failed with 1 conflict: conflict with "mgr": .spec.replicas`).
 */
import { newStatus, StatusError } from '../meta/status-error.js';

/** ApplyConflict is one conflicting field. */
export interface ApplyConflict {
  /** The owner as upstream prints it, quoted: `"kubectl-edit" using apps/v1`. */
  readonly manager: string;
  /** The field as upstream prints it: `.spec.replicas`. */
  readonly field: string;
}

/** conflictMessage renders upstream's message for a non-empty list of conflicts. */
export function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  if (conflicts.length === 1) {
    const only = conflicts[0]!;
    return `Apply failed with 1 conflict: conflict with ${only.manager}: ${only.field}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const fields = byManager.get(c.manager) ?? [];
    fields.push(c.field);
    byManager.set(c.manager, fields);
  }
  const lines: string[] = [];
  for (const manager of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${manager}:`);
    for (const field of byManager.get(manager)!) lines.push(`- ${field}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

/** applyConflictError is the 409 Conflict StatusError with one `FieldManagerConflict` cause per field. */
export function applyConflictError(conflicts: readonly ApplyConflict[]): StatusError {
  return new StatusError(
    newStatus(409, 'Conflict', conflictMessage(conflicts), {
      causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${c.manager}`, field: c.field })),
    }),
  );
}
