/**
 * SelectionPredicate: the label and field selectors of a list or watch, applied to objects (upstream's
 * storage.SelectionPredicate). Field values come from metadata.name, metadata.namespace and the strategy's
 * selectableFields.
 */
import { badRequest } from '../../api/meta/status-error.js';
import { EVERYTHING_FIELDS, FieldSelectorParseError, parseFieldSelector, unsupportedField } from '../../api/meta/fields.js';
import type { FieldSelector } from '../../api/meta/fields.js';
import { EVERYTHING_SELECTOR, LabelSelectorParseError, parseLabelSelector } from '../../api/meta/labels.js';
import type { LabelSelector } from '../../api/meta/labels.js';
import type { KubeObject } from '../../api/meta/types.js';
import type { AttributesOf, CachedObject, ObjectAttributes } from '../watch/cached-object.js';
import type { ResourceStrategy } from './strategy.js';
import { AttributeLayout } from './attribute-layout.js';

/** SelectionPredicate decides which objects a list or watch returns. */
export class SelectionPredicate {
  readonly label: LabelSelector;
  readonly field: FieldSelector;
  #strategy: ResourceStrategy;
  #namespaced: boolean;

  constructor(label: LabelSelector, field: FieldSelector, strategy: ResourceStrategy, namespaced: boolean) {
    this.label = label;
    this.field = field;
    this.#strategy = strategy;
    this.#namespaced = namespaced;
  }

  /** True when the predicate selects every object. */
  empty(): boolean {
    return this.label.empty() && this.field.empty();
  }

  /** fieldsOf returns the selectable field values of an object. */
  fieldsOf(obj: KubeObject): Record<string, string> {
    const fields: Record<string, string> = { 'metadata.name': obj.metadata?.name ?? '' };
    if (this.#namespaced) fields['metadata.namespace'] = obj.metadata?.namespace ?? '';
    return { ...fields, ...(this.#strategy.selectableFields?.(obj) ?? {}) };
  }

  /** matches reports whether the object is selected. */
  matches(obj: KubeObject): boolean {
    if (!this.label.empty() && !this.label.matches(obj.metadata?.labels ?? {})) return false;
    return this.field.empty() || this.field.matches(this.fieldsOf(obj));
  }

  /**
   * matchesAttributes is matches() from an object's selection attributes (selectionAttributes of the same strategy
   * and scope), without the object.
   */
  matchesAttributes(attributes: ObjectAttributes): boolean {
    if (!this.label.empty() && !this.label.matches(attributes.labels)) return false;
    if (this.field.empty()) return true;
    return this.field.matchesValues(attributes);
  }

  /** selects tests a watch cache entry: by its attributes when it has them, else its decoded object. */
  selects(entry: CachedObject): boolean {
    return entry.attributes !== undefined ? this.matchesAttributes(entry.attributes) : this.matches(entry.object());
  }
}

/**
 * selectionAttributes returns the function that computes what a SelectionPredicate of this strategy and scope reads
 * of an object (its labels, and fieldsOf's values), for the watch cache to keep beside each object: packed in the
 * resource's field order, values and label sets shared between entries (AttributeLayout), one layout per cache.
 */
export function selectionAttributes(strategy: ResourceStrategy, namespaced: boolean): AttributesOf {
  const fieldsOf = everything(strategy, namespaced);
  const layout = new AttributeLayout(Object.keys(fieldsOf.fieldsOf({ metadata: {} })));
  return (obj) => layout.pack(obj.metadata?.labels, fieldsOf.fieldsOf(obj));
}

/** everything builds a predicate that selects every object. */
export function everything(strategy: ResourceStrategy, namespaced: boolean): SelectionPredicate {
  return new SelectionPredicate(EVERYTHING_SELECTOR, EVERYTHING_FIELDS, strategy, namespaced);
}

/**
 * parseSelectionPredicate parses `labelSelector` and `fieldSelector` query values; a malformed selector or an
 * unsupported field label is a 400 with upstream's message.
 */
export function parseSelectionPredicate(labelSelector: string, fieldSelector: string, strategy: ResourceStrategy, namespaced: boolean): SelectionPredicate {
  let label: LabelSelector;
  let field: FieldSelector;
  try {
    label = parseLabelSelector(labelSelector);
  } catch (err) {
    if (err instanceof LabelSelectorParseError) throw badRequest(err.message);
    throw err;
  }
  try {
    field = parseFieldSelector(fieldSelector);
  } catch (err) {
    if (err instanceof FieldSelectorParseError) throw badRequest(err.message);
    throw err;
  }
  const predicate = new SelectionPredicate(label, field, strategy, namespaced);
  if (!field.empty()) {
    // The supported field names are those the store and strategy produce for any object.
    const supported = new Set(Object.keys(predicate.fieldsOf({ metadata: {} })));
    const bad = unsupportedField(field, supported);
    if (bad !== undefined) throw badRequest(`field label not supported: ${bad}`);
  }
  return predicate;
}
