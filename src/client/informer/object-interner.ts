/**
 * ObjectInterner: makes the equal parts of the objects an informer caches one value each — the same string instance
 * for the same long string, the same (frozen) object for the same small subtree — so that 100,000 cached pods do
 * not hold 100,000 equal copies of `{"key":"node.kubernetes.io/not-ready","operator":"Exists",…}`, of their image's
 * name and digest, or of the projected service-account volume's sources.
 *
 * Why: after the watch cache kept objects as bytes (issue 5, session 9), the decoded pods of the process's informers
 * were the largest holder of memory per pod (4.3 KB of 17 KB at 10,000 pods, session 12). Most of a pod repeats
 * across the pods of one workload: its spec's defaults, tolerations and volumes, its conditions' timestamps (pods
 * created in the same second), its image strings; what is unique is a handful of names, uids and addresses.
 *
 * How: `intern` walks a decoded object bottom-up and returns an equal one. Each value gets a key that spells it out
 * (strings length-prefixed, so keys are unambiguous); a subtree whose key stays under MAX_KEY_LENGTH is looked up in
 * a table of recently seen subtrees and replaced by the one found there, or entered. Bigger subtrees (a pod, its
 * metadata, its containerStatuses) are rebuilt around their interned parts and not entered. The table is a
 * least-recently-used map of `capacity` entries: values that recur (in every pod) stay, unique ones (uids, IPs) age
 * out, so its memory is bounded (a few MB) whatever the number of objects.
 *
 * Contract: what `intern` returns, and every part of it, may be shared with other objects and must never be changed
 * (the informer store's rule: copy before changing). With TKUBE_FREEZE_SHARED_OBJECTS=1 (the test runner sets it)
 * shared subtrees are frozen, so a component that breaks the rule throws in the tests. The input is not changed.
 * Equal here means equal as JSON, key order included; values that are not JSON (undefined, functions) are kept as
 * they are and make their parents too big to share.
 */

const FREEZE_SHARED = process.env['TKUBE_FREEZE_SHARED_OBJECTS'] === '1';

/** MAX_KEY_LENGTH bounds the key, hence the size, of a subtree worth sharing; bigger ones are rebuilt, not entered. */
export const MAX_KEY_LENGTH = 320;
/**
 * MIN_STRING_LENGTH: shorter strings are left alone. V8's JSON parser already makes short string values one
 * instance each, and a table entry would cost more than the string.
 */
const MIN_STRING_LENGTH = 11;
/** DEFAULT_CAPACITY: the recent subtrees and strings remembered. */
export const DEFAULT_INTERNER_CAPACITY = 8192;

/** TOO_BIG marks a value whose key exceeded MAX_KEY_LENGTH (it and its parents are not entered). */
const TOO_BIG = '';

/** Entry is a shared value and the short reference that stands for it in its parents' keys (never reused). */
interface Entry {
  readonly value: unknown;
  readonly ref: string;
  /** Whether the value is in #refs yet (it is put there when first found again). */
  inRefs: boolean;
}

/** ObjectInterner interns the parts of decoded JSON objects; see the file comment. */
export class ObjectInterner {
  readonly #capacity: number;
  /** Long strings by themselves (no key to build: a string caches its hash). */
  readonly #strings = new Map<string, Entry>();
  /** Small subtrees by key, oldest entered first. */
  readonly #subtrees = new Map<string, Entry>();
  #nextRef = 0;
  #hits = 0;
  #misses = 0;
  /** The key of the value #walk returned last (a field, not a second return value: no allocation per value). */
  #key = TOO_BIG;
  /**
   * The reference of each shared subtree that another value was found equal to (a reused subtree's key, see
   * #walkLike); never reused either. Set on the first hit, not on entry: most subtrees entered are one object's own
   * (a pod's IP entry, its volume mounts naming its own projected volume) and are never found again, and an entry
   * per such subtree, kept as long as the object lives, was ~0.4 KB per cached pod (issue 5, session 14). A subtree
   * without a reference counts as too big in #walkLike, so its parent is rebuilt rather than entered: a parent of a
   * value no other object has is no other object's either.
   */
  readonly #refs = new WeakMap<object, string>();
  #reused = 0;
  #referenced = 0;

  constructor(capacity: number = DEFAULT_INTERNER_CAPACITY) {
    this.#capacity = capacity;
  }

  /**
   * intern returns a value equal to `value` whose parts are shared with the values interned before it. `previous`,
   * when given, is what intern returned for an earlier version of the same object (an informer's cached object
   * before an update): the parts of `value` equal to the same place in it are that version's parts, found by
   * comparing instead of by building each part's key — an update changes a few fields of a pod, and comparing the
   * rest allocates nothing (the walk by keys costs ~3× the object's parse).
   */
  intern<T>(value: T, previous?: T): T {
    return (previous === undefined ? this.#walk(value) : this.#walkLike(value, previous)) as T;
  }

  /**
   * Table entries, hits and misses so far, subtrees reused from a previous version, and subtrees given a reference
   * for #walkLike (those found again at least once) (tests and metrics).
   */
  stats(): { entries: number; hits: number; misses: number; reused: number; referenced: number } {
    return { entries: this.#strings.size + this.#subtrees.size, hits: this.#hits, misses: this.#misses, reused: this.#reused, referenced: this.#referenced };
  }

  /**
   * #walkLike is #walk with `prev`, the interned value at the same place in an earlier version: an object or array
   * equal to it (as JSON, key order included) is `prev` itself, whose key is its table reference when it was entered
   * (else it was too big to be: TOO_BIG); one that differs is rebuilt with its children compared in turn.
   */
  #walkLike(value: unknown, prev: unknown): unknown {
    if (typeof value !== 'object' || value === null || typeof prev !== 'object' || prev === null) return this.#walk(value);
    if (Array.isArray(value) !== Array.isArray(prev)) return this.#walk(value);
    if (sameJson(value, prev)) {
      this.#reused++;
      this.#key = this.#refs.get(prev) ?? TOO_BIG;
      return prev;
    }
    return Array.isArray(value) ? this.#array(value, prev as readonly unknown[]) : this.#object(value as Record<string, unknown>, prev as Record<string, unknown>);
  }

  /** #walk returns the interned value and leaves its key in #key (TOO_BIG when it has none). */
  #walk(value: unknown): unknown {
    switch (typeof value) {
      case 'string':
        return this.#string(value);
      case 'number':
        this.#key = `n${value}`;
        return value;
      case 'boolean':
        this.#key = value ? 't' : 'f';
        return value;
      case 'object':
        if (value === null) {
          this.#key = 'z';
          return value;
        }
        return Array.isArray(value) ? this.#array(value) : this.#object(value as Record<string, unknown>);
      default:
        this.#key = TOO_BIG;
        return value;
    }
  }

  #string(value: string): string {
    if (value.length < MIN_STRING_LENGTH) {
      this.#key = `${value.length}:${value}`;
      return value;
    }
    if (value.length > MAX_KEY_LENGTH) {
      this.#key = TOO_BIG;
      return value;
    }
    const entry = this.#shared(this.#strings, value, value);
    this.#key = entry.ref;
    return entry.value as string;
  }

  #array(items: readonly unknown[], prev?: readonly unknown[]): unknown {
    const out: unknown[] = new Array<unknown>(items.length);
    let key = '[';
    let small = true;
    for (let i = 0; i < items.length; i++) {
      out[i] = prev !== undefined && i < prev.length ? this.#walkLike(items[i], prev[i]) : this.#walk(items[i]);
      if (small) {
        const part = this.#key;
        if (part === TOO_BIG || key.length + part.length > MAX_KEY_LENGTH) small = false;
        else key += i === 0 ? part : `,${part}`;
      }
    }
    if (!small) {
      this.#key = TOO_BIG;
      return out;
    }
    const entry = this.#shared(this.#subtrees, `${key}]`, out);
    this.#key = entry.ref;
    return entry.value;
  }

  #object(obj: Record<string, unknown>, prev?: Record<string, unknown>): unknown {
    const out: Record<string, unknown> = {};
    let key = '{';
    let small = true;
    let first = true;
    for (const name of Object.keys(obj)) {
      const child = prev !== undefined && Object.hasOwn(prev, name) ? this.#walkLike(obj[name], prev[name]) : this.#walk(obj[name]);
      // JSON.parse makes "__proto__" an own property; an assignment would set the prototype instead.
      if (name === '__proto__') Object.defineProperty(out, name, { value: child, enumerable: true, writable: true, configurable: true });
      else out[name] = child;
      if (small) {
        const part = this.#key;
        if (part === TOO_BIG || key.length + name.length + part.length > MAX_KEY_LENGTH) small = false;
        else key += `${first ? '' : ','}${name.length}:${name}=${part}`;
      }
      first = false;
    }
    if (!small) {
      this.#key = TOO_BIG;
      return out;
    }
    const entry = this.#shared(this.#subtrees, `${key}}`, out);
    this.#key = entry.ref;
    return entry.value;
  }

  /**
   * #shared returns the entry of `key` in `table`, or enters `value` (frozen in tests) under a new reference. The
   * oldest entry leaves once the table holds `capacity`: values that recur are entered again when next seen (their
   * new reference makes new keys for their parents; a reference is never reused, so no key can mean two values).
   */
  #shared(table: Map<string, Entry>, key: string, value: unknown): Entry {
    const found = table.get(key);
    if (found !== undefined) {
      this.#hits++;
      if (!found.inRefs && typeof found.value === 'object' && found.value !== null) {
        found.inRefs = true;
        this.#referenced++;
        this.#refs.set(found.value, found.ref);
      }
      return found;
    }
    this.#misses++;
    if (FREEZE_SHARED && typeof value === 'object') Object.freeze(value);
    const entry: Entry = { value, ref: `#${(this.#nextRef++).toString(36)}`, inRefs: false };
    table.set(key, entry);
    if (table.size > this.#capacity) {
      const oldest = table.keys().next();
      if (oldest.done !== true) table.delete(oldest.value);
    }
    return entry;
  }
}

/**
 * sameJson tells whether two decoded JSON values are equal as JSON, objects' key order included (what the interner's
 * keys tell apart). Allocates only the objects' key lists.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const name = ka[i]!;
    if (name !== kb[i] || !sameJson((a as Record<string, unknown>)[name], (b as Record<string, unknown>)[name])) return false;
  }
  return true;
}
