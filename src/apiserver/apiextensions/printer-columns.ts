/**
 * Server-side Table columns of custom resources: Name, then the CRD version's `additionalPrinterColumns` (each a
 * JSONPath with a type, format and priority); a version without any gets Age (`.metadata.creationTimestamp`), as
 * upstream's CRD defaulting does. Cells follow upstream: strings as printed, integers and numbers as numbers, dates
 * as ages ("5m"), a path that selects nothing as an empty cell.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { translateTimestampSince } from '../printers/age.js';
import type { TableColumnDefinition, TableConvertor } from '../printers/table.js';
import { SimpleJsonPath } from './simple-json-path.js';

/** PrinterColumn is one `additionalPrinterColumns` entry. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly format?: string;
  readonly description?: string;
  readonly priority?: number;
  readonly jsonPath: string;
}

/** AGE_PRINTER_COLUMN is the column a version without additionalPrinterColumns gets. */
export const AGE_PRINTER_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
};

const NAME_DEFINITION: TableColumnDefinition = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated.',
  priority: 0,
};

const COLUMN_TYPES = new Set(['string', 'integer', 'number', 'boolean', 'date']);

function cellOf(type: string, value: unknown, now: Date): unknown {
  switch (type) {
    case 'date':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? translateTimestampSince(value, now) : '<invalid>';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value) ? value : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return JSON.stringify(value);
  }
}

/** printerColumnsTable builds the TableConvertor of a CRD version from its printer columns (none → Age). */
export function printerColumnsTable(columns: readonly PrinterColumn[] | undefined): TableConvertor {
  const used = columns === undefined || columns.length === 0 ? [AGE_PRINTER_COLUMN] : columns;
  const parsed = used.map((c) => {
    const path = SimpleJsonPath.parse(c.jsonPath);
    return { column: c, path: path instanceof SimpleJsonPath ? path : undefined };
  });
  const definitions: TableColumnDefinition[] = [
    NAME_DEFINITION,
    ...used.map((c) => ({
      name: c.name,
      type: (COLUMN_TYPES.has(c.type) ? c.type : 'string') as TableColumnDefinition['type'],
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    })),
  ];
  return {
    columns: definitions,
    cells(obj: KubeObject, now: Date): unknown[] {
      const row: unknown[] = [obj.metadata?.name ?? ''];
      for (const { column, path } of parsed) {
        const found = path?.find(obj) ?? [];
        const value = found[0];
        row.push(found.length === 0 || value === undefined || value === null ? null : cellOf(column.type, value, now));
      }
      return row;
    },
  };
}
