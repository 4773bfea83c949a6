/** EMPTY_SCHEMAS: a SchemaLookup that knows no type, for servers configured without schemas. */
import type { SchemaLookup } from '../../api/schema/types.js';

/** EMPTY_SCHEMAS answers undefined for every lookup. */
export const EMPTY_SCHEMAS: SchemaLookup = {
  type: () => undefined,
  kind: () => undefined,
};
