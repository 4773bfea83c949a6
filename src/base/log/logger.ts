/**
 * Logger: the one logging facade. Lines are klog-like text on stderr:
 *   I1123 18:20:01.123456  component] message key="value"
 * Levels: error, warn, info, debug. Never pass credentials (tokens, keys, Secret data) to a logger.
 */

/** LogLevel orders verbosity. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const LETTER: Record<LogLevel, string> = { error: 'E', warn: 'W', info: 'I', debug: 'D' };

/** Logger writes structured lines for one component. */
export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** A logger for a sub-component, e.g. `log.child('storage')`. */
  child(component: string): Logger;
}

let threshold: LogLevel = (process.env.TKUBE_LOG_LEVEL as LogLevel | undefined) ?? 'info';
let sink: (line: string) => void = (line) => process.stderr.write(line);

/** setLogLevel changes the process-wide level (from `--log-level`). */
export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

/** setLogSink redirects output (tests). */
export function setLogSink(fn: (line: string) => void): void {
  sink = fn;
}

function fmtFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  let out = '';
  for (const [k, v] of Object.entries(fields)) {
    const s = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
    out += ` ${k}=${JSON.stringify(s)}`;
  }
  return out;
}

function stamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000`;
}

/** newLogger makes a logger for a component. */
export function newLogger(component: string): Logger {
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (RANK[level] > RANK[threshold]) return;
    sink(`${LETTER[level]}${stamp(new Date())} ${component}] ${msg}${fmtFields(fields)}\n`);
  };
  return {
    error: (m, f) => write('error', m, f),
    warn: (m, f) => write('warn', m, f),
    info: (m, f) => write('info', m, f),
    debug: (m, f) => write('debug', m, f),
    child: (c) => newLogger(`${component}/${c}`),
  };
}
