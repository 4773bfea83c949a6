/**
 * AttributeLayout: one resource's selectable fields in a fixed order, so that the watch cache keeps each entry's
 * selection attributes as an array of values (PackedAttributes) instead of a record per entry; and the values and
 * label sets its entries repeat, so that equal ones are one string or object for all of them.
 *
 * Why: with a record of field values and the decoded object's own labels object beside every cached pod, the
 * attributes were ~0.53 KB per pod and ~0.72 KB per Event (decoded variants, `node --expose-gc`): a record and its
 * property array, a labels object, and a string of their own for every value — the node's name, the phase, the
 * scheduler's name, the namespace — that most entries share. At 100,000 pods (and one `Scheduled` Event each) that
 * was ~125 MB of heap.
 *
 * The shared values are remembered in two generations of `capacity` (the young one, when full, replaces the old
 * one), as the segment table does: values every write repeats stay, values unique to one entry (a name, an IP)
 * age out, so the tables stay small whatever the entry count.
 *
 * Contract: a PackedAttributes never changes; the labels object it holds is one entry's labels (or an equal set
 * another entry had first), never changed by anyone (the watch cache's decoded objects are immutable).
 */
import { GenerationalMap } from '../../base/memory/generational-map.js';
import type { ObjectAttributes } from '../watch/cached-object.js';

/** DEFAULT_ATTRIBUTE_GENERATION: values (and label sets) remembered per generation. */
export const DEFAULT_ATTRIBUTE_GENERATION = 4096;

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** AttributeLayout packs one resource's selection attributes (see the file comment). */
export class AttributeLayout {
  /** The selectable fields, in the order their values are kept. */
  readonly names: readonly string[];
  readonly #index: ReadonlyMap<string, number>;
  readonly #values: GenerationalMap<string>;
  readonly #labels: GenerationalMap<Readonly<Record<string, string>>>;

  constructor(names: readonly string[], capacity: number = DEFAULT_ATTRIBUTE_GENERATION) {
    this.names = names;
    this.#index = new Map(names.map((n, i) => [n, i]));
    this.#values = new GenerationalMap(capacity);
    this.#labels = new GenerationalMap(capacity);
  }

  /** indexOf is the position of `name`'s value, or undefined when the resource has no such field. */
  indexOf(name: string): number | undefined {
    return this.#index.get(name);
  }

  /**
   * pack returns the attributes of an object whose labels are `labels` and whose selectable field values are
   * `fields` (a field missing from it reads as ""); `fields` is not kept.
   */
  pack(labels: Readonly<Record<string, string>> | undefined, fields: Readonly<Record<string, string>>): PackedAttributes {
    const names = this.names;
    const values = new Array<string>(names.length);
    for (let i = 0; i < names.length; i++) values[i] = intern(this.#values, fields[names[i]!] ?? '', (v) => v);
    return new PackedAttributes(this, this.#sharedLabels(labels), values);
  }

  /** #sharedLabels returns an equal label set (same keys in the same order) another entry had, else `labels`. */
  #sharedLabels(labels: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
    if (labels === undefined) return NO_LABELS;
    let key = '';
    for (const k in labels) key += `${k}\u0000${labels[k]}\u0000`;
    if (key === '') return NO_LABELS;
    return intern(this.#labels, key, () => labels);
  }
}

/** PackedAttributes are one entry's selection attributes: its labels and its field values in the layout's order. */
export class PackedAttributes implements ObjectAttributes {
  readonly labels: Readonly<Record<string, string>>;
  readonly #layout: AttributeLayout;
  readonly #values: readonly string[];

  constructor(layout: AttributeLayout, labels: Readonly<Record<string, string>>, values: readonly string[]) {
    this.#layout = layout;
    this.labels = labels;
    this.#values = values;
  }

  /** field is one field's value, undefined when the resource has no such field. */
  field(name: string): string | undefined {
    const i = this.#layout.indexOf(name);
    return i === undefined ? undefined : this.#values[i];
  }

  /** fields makes the values as a record (on each read: predicates read field()). */
  get fields(): Readonly<Record<string, string>> {
    const out: Record<string, string> = {};
    const names = this.#layout.names;
    for (let i = 0; i < names.length; i++) out[names[i]!] = this.#values[i]!;
    return out;
  }
}

/** intern returns the value `map` remembers under `key`, else make()'s; either way it is (again) remembered as young. */
function intern<V>(map: GenerationalMap<V>, key: string, make: (key: string) => V): V {
  const value = map.get(key) ?? make(key);
  map.set(key, value);
  return value;
}
