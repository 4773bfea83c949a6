/**
 * Media types as they appear in Accept and Content-Type headers. Kubernetes clients select alternate
 * representations through parameters (`as=Table;v=v1;g=meta.k8s.io`, `as=APIGroupDiscoveryList`), so parameters
 * are kept, with lower-cased names and unquoted values.
 */

/** MediaType is one parsed media range, e.g. `application/json;as=Table;v=v1;g=meta.k8s.io`. */
export interface MediaType {
  /** The top-level type, lower-cased (`application`, or `*`). */
  readonly type: string;
  /** The subtype, lower-cased (`json`, `vnd.kubernetes.protobuf`, or `*`). */
  readonly subtype: string;
  /** `type/subtype`. */
  readonly essence: string;
  /** Parameters other than `q`; names lower-cased, values as sent (unquoted). */
  readonly params: Readonly<Record<string, string>>;
  /** Quality factor in [0, 1]; 1 when absent or unparsable. */
  readonly q: number;
}

/** The media types the API server reads and writes. */
export const MEDIA_TYPE_JSON = 'application/json';
/** YAML request bodies (`kubectl` never sends them, but curl users and some libraries do). */
export const MEDIA_TYPE_YAML = 'application/yaml';
/** The Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown). */
export const MEDIA_TYPE_PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** splitOutsideQuotes splits on `sep` except inside double-quoted strings. */
function splitOutsideQuotes(text: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' && text[i - 1] !== '\\') quoted = !quoted;
    else if (c === sep && !quoted) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

/**
 * parseMediaType parses one media type (a Content-Type value or one Accept range). Returns undefined when it has
 * no `type/subtype` form.
 */
export function parseMediaType(text: string): MediaType | undefined {
  const [head = '', ...rest] = splitOutsideQuotes(text, ';');
  const essence = head.trim().toLowerCase();
  const slash = essence.indexOf('/');
  if (slash <= 0 || slash === essence.length - 1 || essence.indexOf('/', slash + 1) !== -1) return undefined;
  const params: Record<string, string> = {};
  let q = 1;
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const value = unquote(p.slice(eq + 1));
    if (name === 'q') {
      const n = Number(value);
      if (Number.isFinite(n) && n >= 0 && n <= 1) q = n;
    } else {
      params[name] = value;
    }
  }
  return { type: essence.slice(0, slash), subtype: essence.slice(slash + 1), essence, params, q };
}

/**
 * parseAccept parses an Accept header into media ranges, highest quality first (stable for equal quality, so the
 * client's order breaks ties). Ranges with q=0 and unparsable ranges are dropped. A missing or empty header yields
 * `*\/*`, which accepts anything.
 */
export function parseAccept(header: string | undefined): MediaType[] {
  if (header === undefined || header.trim() === '') return [{ type: '*', subtype: '*', essence: '*/*', params: {}, q: 1 }];
  const ranges: MediaType[] = [];
  for (const part of splitOutsideQuotes(header, ',')) {
    const m = parseMediaType(part);
    if (m && m.q > 0) ranges.push(m);
  }
  return ranges.map((m, i) => ({ m, i })).sort((a, b) => b.m.q - a.m.q || a.i - b.i).map((x) => x.m);
}

/**
 * matchesMediaType tells whether the range `range` accepts the concrete type `essence` (e.g. `application/json`).
 * Range parameters are not compared; callers that care about `as=`/`g=`/`v=` read `range.params`.
 */
export function matchesMediaType(range: MediaType, essence: string): boolean {
  if (range.essence === '*/*') return true;
  const slash = essence.indexOf('/');
  const type = essence.slice(0, slash);
  const subtype = essence.slice(slash + 1);
  return range.type === type && (range.subtype === '*' || range.subtype === subtype);
}

/** acceptsMediaType tells whether any range of a parsed Accept header accepts `essence`. */
export function acceptsMediaType(accept: readonly MediaType[], essence: string): boolean {
  return accept.some((r) => matchesMediaType(r, essence));
}
