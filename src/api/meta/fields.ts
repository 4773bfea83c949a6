/**
 * Field selectors (`?fieldSelector=spec.nodeName=n1,status.phase!=Running`). Terms are `field=value`,
 * `field==value` or `field!=value`, ANDed; in values, `\,` `\=` and `\\` escape the special characters.
 * Parsing reports bad input with upstream's texts; matching is pure: a field missing from the set reads as "".
 */

/** FieldRequirement is one term. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '==' | '!=';
  readonly value: string;
}

/**
 * FieldValues is a field set read one field at a time: a set kept packed (the watch cache's selection attributes)
 * need not make a record to be matched. `field` returns undefined for a field the set does not have.
 */
export interface FieldValues {
  field(name: string): string | undefined;
}

/** FieldSelector matches flat field sets. */
export interface FieldSelector {
  /** Terms sorted by their source text, as upstream sorts them. */
  readonly requirements: readonly FieldRequirement[];
  /** True when every term holds for `fields`. */
  matches(fields: Readonly<Record<string, string>>): boolean;
  /** matches() of a field set read through FieldValues (a missing field reads as "", as in matches). */
  matchesValues(values: FieldValues): boolean;
  /** True when there are no terms. */
  empty(): boolean;
  /** The value `field` must equal for a match, when some `=`/`==` term pins it (for index lookups). */
  requiresExactMatch(field: string): string | undefined;
  /** The canonical string form. */
  toString(): string;
}

/** FieldSelectorParseError reports an unparseable selector; its message is upstream's text. */
export class FieldSelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorParseError';
  }
}

/** escapeFieldValue escapes `\`, `,` and `=` for use in a field selector value. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new FieldSelectorParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
      continue;
    }
    if (c === '\\') inSlash = true;
    // Upstream prints the rune with %v, i.e. its code point number.
    else if (c === ',' || c === '=') throw new FieldSelectorParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0) ?? 0}`);
    else out += c;
  }
  if (inSlash) throw new FieldSelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

function splitTerms(s: string): string[] {
  if (s === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(s.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(s.slice(start));
  return terms;
}

const OPERATORS = ['!=', '==', '='] as const;

class Selector implements FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}
  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => {
      const v = Object.prototype.hasOwnProperty.call(fields, r.field) ? (fields[r.field] ?? '') : '';
      return r.operator === '!=' ? v !== r.value : v === r.value;
    });
  }
  matchesValues(values: FieldValues): boolean {
    for (const r of this.requirements) {
      const v = values.field(r.field) ?? '';
      if (r.operator === '!=' ? v === r.value : v !== r.value) return false;
    }
    return true;
  }
  empty(): boolean {
    return this.requirements.length === 0;
  }
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator !== '!=')?.value;
  }
  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator === '!=' ? '!=' : '='}${escapeFieldValue(r.value)}`).join(',');
  }
}

/** EVERYTHING_FIELDS matches every field set. */
export const EVERYTHING_FIELDS: FieldSelector = new Selector([]);

/**
 * parseFieldSelector parses the string form; "" selects everything.
 * @throws FieldSelectorParseError, e.g. `invalid selector: 'a'; can't understand 'a'`.
 */
export function parseFieldSelector(s: string): FieldSelector {
  const parts = splitTerms(s).sort();
  const reqs: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    let found: FieldRequirement | undefined;
    for (let i = 0; i < part.length && !found; i++) {
      for (const op of OPERATORS) {
        if (part.startsWith(op, i)) {
          found = { field: part.slice(0, i), operator: op, value: unescapeFieldValue(part.slice(i + op.length)) };
          break;
        }
      }
    }
    if (!found) throw new FieldSelectorParseError(`invalid selector: '${s}'; can't understand '${part}'`);
    reqs.push(found);
  }
  return new Selector(reqs);
}

/** fieldSelectorFromSet builds an equality selector from a map (no escaping needed). */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldSelector {
  return new Selector(
    Object.keys(set)
      .sort()
      .map((k) => ({ field: k, operator: '=' as const, value: set[k] ?? '' })),
  );
}

/**
 * unsupportedField returns the first field the selector uses that `supported` lacks, for the apiserver's
 * `field label not supported: <name>` (400) answer; undefined when all are supported.
 */
export function unsupportedField(sel: FieldSelector, supported: ReadonlySet<string>): string | undefined {
  return sel.requirements.find((r) => !supported.has(r.field))?.field;
}
