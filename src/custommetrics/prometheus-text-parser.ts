/**
 * The Prometheus text exposition format (version 0.0.4, what `/metrics` endpoints serve), read into samples.
 *
 * Contract: parsing never throws. A line that is not a comment, a `# HELP`/`# TYPE` line or a well-formed sample
 * is skipped and its number reported in `skippedLines`, so one bad line from a workload never hides the rest of
 * its metrics. Each sample keeps its labels (escapes `\\`, `\"`, `\n` decoded) and the type its family declared
 * with `# TYPE` (histogram and summary families own their `_bucket`, `_sum`, `_count` series). Values may be
 * `NaN`, `+Inf` and `-Inf`; callers that need finite numbers filter them.
 */

/** MetricType is a family's declared type; series without a `# TYPE` line are `untyped`. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** Sample is one line of the exposition: a series name, its labels and its value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds since the epoch, when the line carried a timestamp. */
  readonly timestampMs?: number;
  readonly type: MetricType;
}

/** ParsedExposition is the result of parsePrometheusText. */
export interface ParsedExposition {
  readonly samples: readonly Sample[];
  /** 1-based numbers of the lines that were skipped as malformed. */
  readonly skippedLines: readonly number[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** Suffixes by which a histogram's or summary's series belong to their family. */
const FAMILY_SUFFIXES = ['_bucket', '_sum', '_count', '_created'];

/** parseSampleValue reads a Go-formatted float (`1`, `-2.5e3`, `NaN`, `+Inf`), or undefined. */
export function parseSampleValue(text: string): number | undefined {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (!/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(text) && !/^[+-]?0[xX][0-9a-fA-F]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isNaN(n) ? undefined : n;
}

/** readLabels parses `{a="b",c="d"}` from the start of `text`; returns the labels and the rest, or undefined. */
function readLabels(text: string): { labels: Record<string, string>; rest: string } | undefined {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  const skipSpace = (): void => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  for (;;) {
    skipSpace();
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (name === undefined) return undefined;
    i += name.length;
    skipSpace();
    if (text[i] !== '=') return undefined;
    i++;
    skipSpace();
    if (text[i] !== '"') return undefined;
    i++;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return undefined;
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else return undefined;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++; // closing quote
    if (Object.hasOwn(labels, name)) return undefined;
    labels[name] = value;
    skipSpace();
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    return undefined;
  }
}

/** parseSampleLine reads one sample line, or undefined when it is malformed. */
function parseSampleLine(line: string): Omit<Sample, 'type'> | undefined {
  const name = METRIC_NAME.exec(line)?.[0];
  if (name === undefined) return undefined;
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const read = readLabels(rest);
    if (!read) return undefined;
    labels = read.labels;
    rest = read.rest;
  }
  if (!/^[ \t]/.test(rest)) return undefined;
  const fields = rest.trim().split(/[ \t]+/);
  if (fields.length < 1 || fields.length > 2) return undefined;
  const value = parseSampleValue(fields[0] ?? '');
  if (value === undefined) return undefined;
  if (fields.length === 2) {
    const ts = fields[1] ?? '';
    if (!/^-?[0-9]+$/.test(ts)) return undefined;
    return { name, labels, value, timestampMs: Number(ts) };
  }
  return { name, labels, value };
}

/** familyType finds the declared type of a series: its own name's, or its family's for histogram/summary parts. */
function familyType(name: string, types: ReadonlyMap<string, MetricType>): MetricType {
  const own = types.get(name);
  if (own !== undefined) return own;
  for (const suffix of FAMILY_SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const family = types.get(name.slice(0, -suffix.length));
    if (family === 'histogram' || family === 'summary') return family;
  }
  return 'untyped';
}

/** parsePrometheusText parses a whole exposition body. */
export function parsePrometheusText(text: string): ParsedExposition {
  const samples: Sample[] = [];
  const skippedLines: number[] = [];
  const types = new Map<string, MetricType>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = (lines[n] ?? '').replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      // `# TYPE name type` declares a family; HELP, EOF and free comments carry nothing we keep.
      const m = /^#[ \t]+TYPE[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)[ \t]+([a-z]+)[ \t]*$/.exec(line);
      if (m && TYPES.has(m[2] as MetricType)) types.set(m[1] ?? '', m[2] as MetricType);
      continue;
    }
    const sample = parseSampleLine(line);
    if (!sample) {
      skippedLines.push(n + 1);
      continue;
    }
    samples.push({ ...sample, type: familyType(sample.name, types) });
  }
  return { samples, skippedLines };
}
