/**
 * Label selectors and label syntax. `parseLabelSelector` reads the string form used in `?labelSelector=`
 * (`a=b,c!=d,e in (x,y),f notin (z),g,!h,n>1`) and reports bad input with upstream's error texts;
 * `labelSelectorFromObject` converts the `metav1.LabelSelector` object form. Both yield a `LabelSelector`
 * whose `matches` is pure and never throws. The key/value checks return upstream's message strings (an empty
 * list when valid) so validation code can wrap them in FieldErrors.
 */

/** LabelSelectorOperator is a requirement's relation between key and values. */
export type LabelSelectorOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** LabelRequirement is one comma-separated term of a selector. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  /** Sorted, de-duplicated values (empty for exists / does-not-exist). */
  readonly values: readonly string[];
}

/** LabelSelector matches label sets; every requirement must hold (logical AND). */
export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** True when every requirement holds for `labels` (missing labels count as absent). */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** True when the selector has no requirements and so selects everything. */
  empty(): boolean;
  /** The canonical string form, e.g. `app=web,tier in (a,b)`. */
  toString(): string;
}

/** LabelSelectorObject is `metav1.LabelSelector`. */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** LabelSelectorParseError reports an unparseable selector string; its message is upstream's text. */
export class LabelSelectorParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelSelectorParseError';
  }
}

/** DNS1123_SUBDOMAIN_FMT is the regex source of an RFC 1123 subdomain. */
export const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
/** DNS1123_SUBDOMAIN_FMT is the regex source of an RFC 1123 subdomain. */
export const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_SUBDOMAIN_FMT}$`);
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_RE = new RegExp(`^${QUALIFIED_NAME_FMT}$`);
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;
const LABEL_VALUE_RE = new RegExp(`^${LABEL_VALUE_FMT}$`);
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** regexError renders upstream's "regex used for validation" explanation, with optional examples. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  // Upstream joins examples as "'a', " + " or " + "'b', ", which yields the double space kubectl users see.
  const shown = examples.map((e) => `'${e}', `).join(' or ');
  return `${msg} (e.g. ${shown}regex used for validation is '${fmt}')`;
}

/** maxLenError is upstream's "too long" explanation. */
export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

/** isDNS1123Subdomain returns why `value` is not an RFC 1123 subdomain (253 chars max), or []. */
export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/** isQualifiedName returns why `value` is not a qualified name (label/annotation key), or []. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else for (const m of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${m}`);
  } else {
    return [
      `a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QUALIFIED_NAME_RE.test(name)) errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** isValidLabelValue returns why `value` is not a label value (63 chars max, may be empty), or []. */
export function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

function goQuote(v: string): string {
  return JSON.stringify(v);
}

function goStringSlice(vals: readonly string[]): string {
  return `[]string{${vals.map(goQuote).join(', ')}}`;
}

class Requirement implements LabelRequirement {
  constructor(
    readonly key: string,
    readonly operator: LabelSelectorOperator,
    readonly values: readonly string[],
  ) {}

  matches(labels: Readonly<Record<string, string>>): boolean {
    const has = Object.prototype.hasOwnProperty.call(labels, this.key);
    const val = has ? labels[this.key] : undefined;
    switch (this.operator) {
      case 'in':
      case '=':
      case '==':
        return val !== undefined && this.values.includes(val);
      case 'notin':
      case '!=':
        return val === undefined || !this.values.includes(val);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (val === undefined || !/^[-+]?\d+$/.test(val) || this.values.length !== 1) return false;
        const lhs = BigInt(val);
        const rhs = BigInt(this.values[0] ?? '0');
        return this.operator === 'gt' ? lhs > rhs : lhs < rhs;
      }
    }
  }

  toString(): string {
    switch (this.operator) {
      case 'exists':
        return this.key;
      case '!':
        return `!${this.key}`;
      case 'in':
      case 'notin':
        return `${this.key} ${this.operator} (${this.values.join(',')})`;
      case 'gt':
        return `${this.key}>${this.values[0] ?? ''}`;
      case 'lt':
        return `${this.key}<${this.values[0] ?? ''}`;
      default:
        return `${this.key}${this.operator}${this.values[0] ?? ''}`;
    }
  }
}

class Selector implements LabelSelector {
  readonly requirements: readonly Requirement[];
  constructor(reqs: Requirement[]) {
    // Sorted by key so that the canonical form is deterministic, as upstream does.
    this.requirements = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    const ls = labels ?? {};
    return this.requirements.every((r) => r.matches(ls));
  }
  empty(): boolean {
    return this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map((r) => r.toString()).join(',');
  }
}

/**
 * NOTHING is a selector that matches no label set (upstream's `labels.Nothing()`). Its string form is empty, as
 * upstream's: a client that sends it as `labelSelector` sends none (the HPA asks for an external metric with no
 * selector this way); kubectl's `<none>` is a printer's word, made by formatLabelSelectorObject.
 */
export const NOTHING_SELECTOR: LabelSelector = {
  requirements: [],
  matches: () => false,
  empty: () => false,
  toString: () => '',
};

/** EVERYTHING_SELECTOR matches every label set. */
export const EVERYTHING_SELECTOR: LabelSelector = new Selector([]);

/**
 * newRequirement validates and builds one requirement, throwing a LabelSelectorParseError whose message is
 * upstream's aggregated field-error text (e.g. `values[0][app]: Invalid value: "a b": ...`).
 */
function newRequirement(key: string, op: LabelSelectorOperator, vals: string[]): Requirement {
  const errs: string[] = [];
  const keyPath = 'key';
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(`${keyPath}: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`);
  const valuesPath = 'values';
  switch (op) {
    case 'in':
    case 'notin':
      if (vals.length === 0) errs.push(`${valuesPath}: Invalid value: ${goStringSlice(vals)}: for 'in', 'notin' operators, values set can't be empty`);
      break;
    case '=':
    case '==':
    case '!=':
      if (vals.length !== 1) errs.push(`${valuesPath}: Invalid value: ${goStringSlice(vals)}: exact-match compatibility requires one single value`);
      break;
    case 'exists':
    case '!':
      if (vals.length !== 0) errs.push(`${valuesPath}: Invalid value: ${goStringSlice(vals)}: values set must be empty for exists and does not exist`);
      break;
    case 'gt':
    case 'lt':
      if (vals.length !== 1) errs.push(`${valuesPath}: Invalid value: ${goStringSlice(vals)}: for 'Gt', 'Lt' operators, exactly one value is required`);
      vals.forEach((v, i) => {
        if (!/^[-+]?\d+$/.test(v)) errs.push(`${valuesPath}[${i}]: Invalid value: ${goQuote(v)}: for 'Gt', 'Lt' operators, the value must be an integer`);
      });
      break;
  }
  vals.forEach((v, i) => {
    const ve = isValidLabelValue(v);
    if (ve.length > 0) errs.push(`${valuesPath}[${i}][${key}]: Invalid value: ${goQuote(v)}: ${ve.join('; ')}`);
  });
  const unique = [...new Set(errs)];
  if (unique.length === 1) throw new LabelSelectorParseError(unique[0] ?? '');
  if (unique.length > 1) throw new LabelSelectorParseError(`[${unique.join(', ')}]`);
  return new Requirement(key, op, vals);
}

type TokenKind = 'id' | 'end' | 'error' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ',' | 'in' | 'notin';
interface Token {
  readonly kind: TokenKind;
  readonly lit: string;
}

const SYMBOL_TOKENS: ReadonlyMap<string, TokenKind> = new Map<string, TokenKind>([
  ['!', '!'],
  ['!=', '!='],
  ['=', '='],
  ['==', '=='],
  ['>', '>'],
  ['<', '<'],
  ['(', '('],
  [')', ')'],
  [',', ','],
]);

function isSpecial(ch: string): boolean {
  return '=!(),><'.includes(ch);
}
function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
}

function lex(s: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isSpace(s[pos] ?? '')) pos++;
    if (pos >= s.length) {
      out.push({ kind: 'end', lit: '' });
      return out;
    }
    const ch = s[pos] ?? '';
    if (isSpecial(ch)) {
      // Longest run of special characters that still forms a known token.
      let buf = '';
      let last: Token | undefined;
      while (pos < s.length && isSpecial(s[pos] ?? '')) {
        buf += s[pos];
        const kind = SYMBOL_TOKENS.get(buf);
        if (kind) {
          last = { kind, lit: buf };
          pos++;
        } else if (last) {
          break;
        } else {
          pos++;
        }
      }
      out.push(last ?? { kind: 'error', lit: `error expected: keyword found '${buf}'` });
      continue;
    }
    let buf = '';
    while (pos < s.length && !isSpecial(s[pos] ?? '') && !isSpace(s[pos] ?? '')) buf += s[pos++];
    out.push({ kind: buf === 'in' ? 'in' : buf === 'notin' ? 'notin' : 'id', lit: buf });
  }
}

class Parser {
  #items: Token[];
  #pos = 0;
  constructor(s: string) {
    this.#items = lex(s);
  }
  // In a values context `in`/`notin` are plain identifiers (a label may be called "in").
  #peek(values: boolean): Token {
    const t = this.#items[this.#pos] ?? { kind: 'end', lit: '' };
    return values && (t.kind === 'in' || t.kind === 'notin') ? { kind: 'id', lit: t.lit } : t;
  }
  #next(values: boolean): Token {
    const t = this.#peek(values);
    this.#pos++;
    return t;
  }

  parse(): Requirement[] {
    const reqs: Requirement[] = [];
    for (;;) {
      const t = this.#peek(true);
      if (t.kind === 'end') return reqs;
      if (t.kind !== 'id' && t.kind !== '!') throw new LabelSelectorParseError(`found '${t.lit}', expected: !, identifier, or 'end of string'`);
      let r: Requirement;
      try {
        r = this.#requirement();
      } catch (e) {
        throw new LabelSelectorParseError(`unable to parse requirement: ${e instanceof Error ? e.message : String(e)}`);
      }
      reqs.push(r);
      const after = this.#next(true);
      if (after.kind === 'end') return reqs;
      if (after.kind !== ',') throw new LabelSelectorParseError(`found '${after.lit}', expected: ',' or 'end of string'`);
      const t2 = this.#peek(true);
      if (t2.kind !== 'id' && t2.kind !== '!') throw new LabelSelectorParseError(`found '${t2.lit}', expected: identifier after ','`);
    }
  }

  #requirement(): Requirement {
    let op: LabelSelectorOperator | undefined;
    let t = this.#next(true);
    if (t.kind === '!') {
      op = '!';
      t = this.#next(true);
    }
    if (t.kind !== 'id') throw new Error(`found '${t.lit}', expected: identifier`);
    const key = t.lit;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length > 0) throw new Error(`<nil>: Invalid value: ${goQuote(key)}: ${keyErrs.join('; ')}`);
    const la = this.#peek(true).kind;
    if (la === 'end' || la === ',') return newRequirement(key, op ?? 'exists', []);
    const opTok = this.#next(false);
    let bin: LabelSelectorOperator;
    switch (opTok.kind) {
      case 'in':
        bin = 'in';
        break;
      case 'notin':
        bin = 'notin';
        break;
      case '=':
        bin = '=';
        break;
      case '==':
        bin = '==';
        break;
      case '!=':
        bin = '!=';
        break;
      case '>':
        bin = 'gt';
        break;
      case '<':
        bin = 'lt';
        break;
      default:
        throw new Error(`found '${opTok.lit}', expected: in, notin, =, ==, !=, gt, lt`);
    }
    const values = bin === 'in' || bin === 'notin' ? this.#setValues() : this.#exactValue();
    return newRequirement(key, bin, [...values].sort());
  }

  #setValues(): Set<string> {
    const open = this.#next(true);
    if (open.kind !== '(') throw new Error(`found '${open.lit}' expected: '('`);
    const la = this.#peek(true);
    if (la.kind === ')') {
      this.#next(true);
      return new Set(['']);
    }
    if (la.kind !== 'id' && la.kind !== ',') throw new Error(`found '${la.lit}', expected: ',', ')' or identifier`);
    const s = new Set<string>();
    for (;;) {
      const t = this.#next(true);
      if (t.kind === 'id') {
        s.add(t.lit);
        const t2 = this.#peek(true);
        if (t2.kind === ',') continue;
        if (t2.kind === ')') break;
        throw new Error(`found '${t2.lit}', expected: ',' or ')'`);
      } else if (t.kind === ',') {
        if (s.size === 0) s.add('');
        const t2 = this.#peek(true);
        if (t2.kind === ')') {
          s.add('');
          break;
        }
        if (t2.kind === ',') s.add('');
      } else {
        throw new Error(`found '${t.lit}', expected: ',', or identifier`);
      }
    }
    const close = this.#next(true);
    if (close.kind !== ')') throw new Error(`found '${la.lit}', expected: ')'`);
    return s;
  }

  #exactValue(): Set<string> {
    const la = this.#peek(true);
    if (la.kind === 'end' || la.kind === ',') return new Set(['']);
    const t = this.#next(true);
    if (t.kind === 'id') return new Set([t.lit]);
    throw new Error(`found '${t.lit}', expected: identifier`);
  }
}

/**
 * parseLabelSelector parses the string form. The empty string selects everything.
 * @throws LabelSelectorParseError with upstream's message when the string is malformed or a key/value is invalid.
 */
export function parseLabelSelector(s: string): LabelSelector {
  return new Selector(new Parser(s).parse());
}

const OBJECT_OPERATORS: Readonly<Record<string, LabelSelectorOperator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

/**
 * labelSelectorFromObject converts `metav1.LabelSelector`. An absent selector (undefined/null) selects nothing, an
 * empty object selects everything, as upstream's `LabelSelectorAsSelector` does.
 * @throws LabelSelectorParseError for an unknown operator or invalid key/values.
 */
export function labelSelectorFromObject(sel: LabelSelectorObject | null | undefined): LabelSelector {
  if (sel === null || sel === undefined) return NOTHING_SELECTOR;
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push(newRequirement(k, '=', [v]));
  for (const expr of sel.matchExpressions ?? []) {
    const op = OBJECT_OPERATORS[expr.operator];
    if (!op) throw new LabelSelectorParseError(`${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push(newRequirement(expr.key, op, [...new Set(expr.values ?? [])].sort()));
  }
  return new Selector(reqs);
}

/** selectorFromSet builds an equality selector (`a=b,c=d`) from a label map without validation. */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined): LabelSelector {
  return new Selector(Object.entries(set ?? {}).map(([k, v]) => new Requirement(k, '=', [v])));
}

/** formatLabels renders labels as `a=b,c=d` sorted by key, or `<none>` when empty (kubectl's printer form). */
export function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels?.[k] ?? ''}`).join(',');
}

/** formatLabelSelectorObject renders a `metav1.LabelSelector` as kubectl prints it (`<none>` when empty, `<invalid>` when bad). */
export function formatLabelSelectorObject(sel: LabelSelectorObject | null | undefined): string {
  if (sel === null || sel === undefined) return '<none>';
  let s: string;
  try {
    s = labelSelectorFromObject(sel).toString();
  } catch {
    return '<error>';
  }
  return s === '' ? '<none>' : s;
}
