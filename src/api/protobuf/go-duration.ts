/**
 * Go's duration text form, which apimachinery's Duration uses in JSON ("1h0m0s", "1.5s", "300ms").
 * formatGoDuration matches Go's time.Duration String output; parseGoDuration accepts what time.ParseDuration does.
 */

const UNIT_NANOS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

function withFraction(value: number, digits: number): string {
  const scale = 10 ** digits;
  const whole = Math.floor(value / scale);
  const fraction = value % scale;
  if (fraction === 0) return String(whole);
  return `${whole}.${String(fraction).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** formatGoDuration formats integer nanoseconds the way Go's time.Duration.String does. */
export function formatGoDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  const u = Math.abs(nanos);
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${withFraction(u, 3)}µs`;
  if (u < 1e9) return `${sign}${withFraction(u, 6)}ms`;
  const totalSeconds = Math.floor(u / 1e9);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = withFraction((totalSeconds % 60) * 1e9 + (u % 1e9), 9);
  const h = hours > 0 ? `${hours}h` : '';
  const m = hours > 0 || minutes > 0 ? `${minutes}m` : '';
  return `${sign}${h}${m}${seconds}s`;
}

/** parseGoDuration parses Go duration text into integer nanoseconds, or returns undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const segment = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = segment.exec(rest);
    if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
    total += Number(m[1]) * (UNIT_NANOS[m[2]] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}
