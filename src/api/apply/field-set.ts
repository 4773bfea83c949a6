/**
 * FieldSet: a set of field paths, the unit of ownership in server-side apply, stored as a trie whose edges are
 * path elements in their `fieldsV1` spelling:
 *   - `f:<name>`          a field of an object or a key of a map,
 *   - `k:{"name":"web"}`  an item of a map-list, by its key fields (sorted by name, values as JSON),
 *   - `v:"a"`             an item of a set-list, by its value (JSON),
 *   - `i:3`               an item of a list by position,
 * and a node's `member` flag saying the path itself is in the set (written `".": {}` in fieldsV1 when the node
 * also has children). Keeping the wire spelling as the edge key makes decoding, encoding and the set algebra
 * plain trie walks.
 *
 * FieldSets are values: the operations return new sets and never change their inputs (except `insert`, used
 * while building one).
 */

/** FieldSet is one node of the trie: whether its own path is a member, and its children by path element. */
export class FieldSet {
  member = false;
  readonly children = new Map<string, FieldSet>();

  /** fromFieldsV1 decodes a `fieldsV1` object; unreadable parts are ignored (upstream then distrusts them too). */
  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return set;
    for (const [key, child] of Object.entries(fields)) {
      if (key === '.') {
        set.member = true;
        continue;
      }
      if (!isPathElement(key)) continue;
      const node = FieldSet.fromFieldsV1(child);
      // An empty object below an element means "this path is a member".
      if (node.children.size === 0) node.member = true;
      set.children.set(key, node);
    }
    return set;
  }

  /** toFieldsV1 encodes the set in upstream's order: ".", then fields, keys, values, indexes; empty branches left out. */
  toFieldsV1(): Record<string, unknown> {
    return this.#encode() ?? {};
  }

  #encode(): Record<string, unknown> | undefined {
    const out: Record<string, unknown> = {};
    if (this.member) out['.'] = {};
    let hasChildren = false;
    for (const key of [...this.children.keys()].sort(comparePathElements)) {
      const encoded = this.children.get(key)!.#encode();
      if (encoded === undefined) continue;
      out[key] = encoded;
      hasChildren = true;
    }
    if (!hasChildren) return this.member ? {} : undefined;
    return out;
  }

  /** isEmpty reports whether no path is a member. */
  isEmpty(): boolean {
    if (this.member) return false;
    for (const child of this.children.values()) if (!child.isEmpty()) return false;
    return true;
  }

  /** child returns the subset below one path element, or undefined. */
  child(element: string): FieldSet | undefined {
    return this.children.get(element);
  }

  /** ensureChild returns the child node for `element`, creating it. */
  ensureChild(element: string): FieldSet {
    let node = this.children.get(element);
    if (node === undefined) {
      node = new FieldSet();
      this.children.set(element, node);
    }
    return node;
  }

  /** insert adds a path (a list of elements) as a member. */
  insert(path: readonly string[]): void {
    this.ensurePath(path).member = true;
  }

  /** ensurePath returns the node of a path, creating the nodes on the way. */
  ensurePath(path: readonly string[]): FieldSet {
    const [first, ...rest] = path;
    if (first === undefined) return this;
    let node = this.ensureChild(first);
    for (const element of rest) node = node.ensureChild(element);
    return node;
  }

  /** find returns the node of a path, or undefined when no member lies on or below it. */
  find(path: readonly string[]): FieldSet | undefined {
    const [first, ...rest] = path;
    if (first === undefined) return this;
    let node = this.children.get(first);
    for (const element of rest) node = node?.children.get(element);
    return node;
  }

  /** has reports whether a path is a member. */
  has(path: readonly string[]): boolean {
    return this.find(path)?.member === true;
  }

  /** clone returns a deep copy. */
  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    for (const [key, child] of this.children) out.children.set(key, child.clone());
    return out;
  }

  /**
   * union returns the paths in either set. Results share unchanged subtrees with the inputs (sets are not
   * changed once built), and an operation that changes nothing returns its receiver.
   */
  union(other: FieldSet): FieldSet {
    if (other === this || other.#isBare()) return this;
    if (this.#isBare()) return other;
    const out = new FieldSet();
    out.member = this.member || other.member;
    let changed = out.member !== this.member;
    for (const [key, child] of this.children) {
      const theirs = other.children.get(key);
      const merged = theirs === undefined ? child : child.union(theirs);
      if (merged !== child) changed = true;
      out.children.set(key, merged);
    }
    for (const [key, child] of other.children) {
      if (this.children.has(key)) continue;
      out.children.set(key, child);
      changed = true;
    }
    return changed ? out : this;
  }

  /** difference returns the paths of this set that are not in `other` (empty branches dropped). */
  difference(other: FieldSet): FieldSet {
    if (other === this) return new FieldSet();
    if (other.#isBare()) return this;
    const out = new FieldSet();
    out.member = this.member && !other.member;
    let changed = out.member !== this.member;
    for (const [key, child] of this.children) {
      const theirs = other.children.get(key);
      const rest = theirs === undefined ? child : child.difference(theirs);
      if (rest !== child) {
        changed = true;
        if (rest.isEmpty()) continue;
      }
      out.children.set(key, rest);
    }
    return changed ? out : this;
  }

  /** intersection returns the paths in both sets (empty branches dropped). */
  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    out.member = this.member && other.member;
    // Walk the smaller side: ownership sets are large, the changes they are checked against usually small.
    const [small, large] = this.children.size <= other.children.size ? [this, other] : [other, this];
    for (const [key, child] of small.children) {
      const theirs = large.children.get(key);
      if (theirs === undefined) continue;
      const both = child.intersection(theirs);
      if (!both.isEmpty()) out.children.set(key, both);
    }
    return out;
  }

  /** equals reports whether both sets hold the same paths (empty branches aside). */
  equals(other: FieldSet): boolean {
    if (other === this) return true;
    if (this.member !== other.member) return false;
    for (const [key, child] of this.children) {
      const theirs = other.children.get(key);
      if (theirs === undefined ? !child.isEmpty() : !child.equals(theirs)) return false;
    }
    for (const [key, child] of other.children) {
      if (!this.children.has(key) && !child.isEmpty()) return false;
    }
    return true;
  }

  /** #isBare reports a node with no member and no children (cheaper than isEmpty). */
  #isBare(): boolean {
    return !this.member && this.children.size === 0;
  }

  /** hasAnyAt reports whether some member lies at or below `path`. */
  hasAnyAt(path: readonly string[]): boolean {
    const node = this.find(path);
    return node !== undefined && !node.isEmpty();
  }

  /** members lists every member path, depth first in encoding order. */
  members(): string[][] {
    const out: string[][] = [];
    const walk = (node: FieldSet, path: string[]): void => {
      if (node.member) out.push([...path]);
      for (const key of [...node.children.keys()].sort(comparePathElements)) {
        path.push(key);
        walk(node.children.get(key)!, path);
        path.pop();
      }
    };
    walk(this, []);
    return out;
  }
}

function isPathElement(key: string): boolean {
  return key.length > 2 && key[1] === ':' && (key[0] === 'f' || key[0] === 'k' || key[0] === 'v' || key[0] === 'i');
}

const ELEMENT_RANK: Readonly<Record<string, number>> = { f: 0, k: 1, v: 2, i: 3 };

/** comparePathElements orders elements as upstream: fields, then keys, values, indexes; indexes numerically. */
export function comparePathElements(a: string, b: string): number {
  const ra = ELEMENT_RANK[a[0] ?? ''] ?? 4;
  const rb = ELEMENT_RANK[b[0] ?? ''] ?? 4;
  if (ra !== rb) return ra - rb;
  if (ra === 3) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** fieldElement is the path element of an object field or map key. */
export function fieldElement(name: string): string {
  return `f:${name}`;
}

/** keyElement is the path element of a map-list item: its key fields sorted by name, values as JSON. */
export function keyElement(keys: ReadonlyArray<readonly [string, unknown]>): string {
  const sorted = [...keys].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `k:{${sorted.map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)}`).join(',')}}`;
}

/** valueElement is the path element of a set-list item. */
export function valueElement(value: unknown): string {
  return `v:${JSON.stringify(value)}`;
}

/** indexElement is the path element of a list item by position. */
export function indexElement(index: number): string {
  return `i:${index}`;
}

/**
 * pathString renders a path as upstream prints it in conflict messages: `.spec.replicas`,
 * `.spec.containers[name="web"].image`, `.metadata.finalizers[="a"]`, `.items[3]`.
 */
export function pathString(path: readonly string[]): string {
  let out = '';
  for (const element of path) {
    const body = element.slice(2);
    switch (element[0]) {
      case 'f':
        out += `.${body}`;
        break;
      case 'k': {
        let fields: Array<[string, unknown]>;
        try {
          fields = Object.entries(JSON.parse(body) as Record<string, unknown>);
        } catch {
          fields = [];
        }
        out += `[${fields.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
        break;
      }
      case 'v':
        out += `[=${body}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}
