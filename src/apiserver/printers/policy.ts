/**
 * PodDisruptionBudget table: MIN AVAILABLE, MAX UNAVAILABLE (`N/A` when unset), ALLOWED DISRUPTIONS.
 */
import { num, obj } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

function intOrString(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : 'N/A';
}

/** podDisruptionBudgetTable renders poddisruptionbudgets. */
export const podDisruptionBudgetTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Min Available', { description: 'The minimum number of pods that must be available simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".' }),
    column('Max Unavailable', { description: 'The maximum number of pods that may be unavailable simultaneously.  This can be either an integer or a string specifying a percentage, e.g. "28%".' }),
    column('Allowed Disruptions', { type: 'integer', description: 'Calculated number of pods that may be disrupted at this time.' }),
    AGE_COLUMN,
  ],
  cells(pdb, now) {
    const spec = obj(pdb['spec']);
    return [
      nameOf(pdb),
      intOrString(spec['minAvailable']),
      intOrString(spec['maxUnavailable']),
      num(obj(pdb['status'])['disruptionsAllowed']) ?? 0,
      translateTimestampSince(pdb.metadata?.creationTimestamp, now),
    ];
  },
};
