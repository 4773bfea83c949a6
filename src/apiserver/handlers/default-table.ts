/**
 * DEFAULT_TABLE: the Table columns of kinds without their own TableConvertor: Name and Age, as `kubectl get`
 * shows custom resources without printer columns.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { TableConvertor } from '../printers/table.js';
import { translateTimestampSince } from '../printers/age.js';

/** DEFAULT_TABLE renders NAME and AGE. */
export const DEFAULT_TABLE: TableConvertor = {
  columns: [
    {
      name: 'Name',
      type: 'string',
      format: 'name',
      description: 'Name must be unique within a namespace; it is used when creating resources and cannot be updated.',
      priority: 0,
    },
    {
      name: 'Age',
      type: 'date',
      format: '',
      description: 'The time since the object was created (metadata.creationTimestamp).',
      priority: 0,
    },
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const created = obj.metadata?.creationTimestamp;
    const age = translateTimestampSince(created, now);
    return [obj.metadata?.name ?? '', age];
  },
};
