/**
 * Server-side printing (meta.k8s.io/v1 Table): the columns `kubectl get` shows for each kind.
 * Columns with priority > 0 are shown only by `-o wide`.
 */
import type { KubeObject } from '../../api/meta/types.js';

/** TableColumnDefinition is one column, as upstream's `metav1.TableColumnDefinition`. */
export interface TableColumnDefinition {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format: string;
  readonly description: string;
  readonly priority: number;
}

/** TableConvertor renders objects of one kind as Table rows. */
export interface TableConvertor {
  readonly columns: readonly TableColumnDefinition[];
  /** Returns one cell per column, in order. `now` is for ages; the first column is conventionally the name. */
  cells(obj: KubeObject, now: Date): unknown[];
}
