/**
 * FieldReader: reads one JSON object of a legacy document and remembers which fields it consumed, so the
 * conversion can name every field it did not carry over (a warning, never a silent loss).
 */

/** isRecord tells whether a value is a plain JSON object. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** FieldReader wraps one object at a dotted path (`desiredState.manifest.containers[0]`). */
export class FieldReader {
  readonly #obj: Record<string, unknown>;
  readonly #seen = new Set<string>();

  constructor(
    obj: Record<string, unknown>,
    readonly path: string,
    readonly warnings: string[],
  ) {
    this.#obj = obj;
  }

  /** take returns a field's value and marks it consumed. */
  take(name: string): unknown {
    this.#seen.add(name);
    return this.#obj[name];
  }

  /** ignore marks fields as consumed without reading them (read-only or server-set state with no v1 input). */
  ignore(...names: string[]): void {
    for (const n of names) this.#seen.add(n);
  }

  string(name: string): string | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    this.warnings.push(`${this.at(name)}: expected a string, got ${JSON.stringify(v)}; dropped`);
    return undefined;
  }

  number(name: string): number | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    this.warnings.push(`${this.at(name)}: expected a number, got ${JSON.stringify(v)}; dropped`);
    return undefined;
  }

  boolean(name: string): boolean | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    this.warnings.push(`${this.at(name)}: expected true or false, got ${JSON.stringify(v)}; dropped`);
    return undefined;
  }

  /** stringMap reads a `{string: string}` map (labels, selectors); other values are named and dropped. */
  stringMap(name: string): Record<string, string> | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.warnings.push(`${this.at(name)}: expected an object of strings; dropped`);
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val === 'string') out[k] = val;
      else this.warnings.push(`${this.at(name)}.${k}: expected a string; dropped`);
    }
    return out;
  }

  stringList(name: string): string[] | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
    this.warnings.push(`${this.at(name)}: expected a list of strings; dropped`);
    return undefined;
  }

  /** object returns a reader for a nested object field, or undefined when absent. */
  object(name: string): FieldReader | undefined {
    const v = this.take(name);
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      this.warnings.push(`${this.at(name)}: expected an object; dropped`);
      return undefined;
    }
    return new FieldReader(v, this.at(name), this.warnings);
  }

  /** list returns readers for the objects of a list field (non-objects are named and dropped). */
  list(name: string): FieldReader[] {
    const v = this.take(name);
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      this.warnings.push(`${this.at(name)}: expected a list; dropped`);
      return [];
    }
    const out: FieldReader[] = [];
    v.forEach((item, i) => {
      if (isRecord(item)) out.push(new FieldReader(item, `${this.at(name)}[${i}]`, this.warnings));
      else this.warnings.push(`${this.at(name)}[${i}]: expected an object; dropped`);
    });
    return out;
  }

  /** has tells whether the field is present (without consuming it). */
  has(name: string): boolean {
    return this.#obj[name] !== undefined && this.#obj[name] !== null;
  }

  /** finish adds a warning for every field nobody took: fields v1 has no place for, or misspelt ones. */
  finish(): void {
    for (const k of Object.keys(this.#obj)) {
      if (!this.#seen.has(k)) this.warnings.push(`${this.at(k)}: not a v1beta1 field tkube converts; dropped`);
    }
  }

  at(name: string): string {
    return this.path === '' ? name : `${this.path}.${name}`;
  }
}
