/**
 * Reading CRI log files (`<RFC 3339 nano> stdout|stderr F|P <text>` per line, P marking a part of a longer line)
 * back into what `kubectl logs` prints: the text, optionally each line prefixed with its timestamp, limited by
 * tailLines, sinceTime/sinceSeconds and limitBytes as upstream applies them.
 */

/** LogOptions are the pods/log options a log read honours. */
export interface LogOptions {
  readonly timestamps?: boolean;
  readonly tailLines?: number;
  /** Milliseconds since the epoch: lines before it are left out. */
  readonly sinceMs?: number;
  readonly limitBytes?: number;
}

/** LogLine is one whole line of a container's output. */
export interface LogLine {
  readonly time: string;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

/** parseCriLog joins partial records and returns the whole lines of a CRI log file's content. */
export function parseCriLog(content: string): LogLine[] {
  const lines: LogLine[] = [];
  let partial = '';
  for (const raw of content.split('\n')) {
    if (raw === '') continue;
    const m = /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(raw);
    if (!m) continue;
    if (m[3] === 'P') {
      partial += m[4] ?? '';
      continue;
    }
    lines.push({ time: m[1] ?? '', stream: m[2] as 'stdout' | 'stderr', text: partial + (m[4] ?? '') });
    partial = '';
  }
  return lines;
}

/** renderLog turns lines into the response body for the options. */
export function renderLog(lines: readonly LogLine[], options: LogOptions): string {
  let selected = options.sinceMs !== undefined ? lines.filter((l) => Date.parse(l.time) >= (options.sinceMs ?? 0)) : [...lines];
  if (options.tailLines !== undefined) selected = options.tailLines === 0 ? [] : selected.slice(-options.tailLines);
  let out = selected.map((l) => `${options.timestamps ? `${l.time} ` : ''}${l.text}\n`).join('');
  if (options.limitBytes !== undefined) out = Buffer.from(out).subarray(0, options.limitBytes).toString('utf8');
  return out;
}
