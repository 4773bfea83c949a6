/**
 * Flood client: a helper process that keeps CONCURRENCY GETs of PATH outstanding as one bearer-token user, for the
 * overload suite and the fairness benchmark (started through FloodProcess, flood-process.ts, which says why it is a
 * process of its own). `polite` loops wait Retry-After after a 429 (as client-go does); `eager` ones send again at once.
 * Run: node --import tsx test/reliability/flood-client.ts URL TOKEN CA_FILE CONCURRENCY polite|eager PATH
 * Prints {"ready":true}; on IPC {"start":true} it floods (`mode` in the message, when given, replaces the argument's), on {"stop":true} it stops and answers {"result":…} with its
 * counts. Exits when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const [url, token, caFile, concurrencyArg, mode, path] = process.argv.slice(2);
if (!url || !token || !caFile || !concurrencyArg || !mode || !path) throw new Error('Cannot start the flood: usage URL TOKEN CA_FILE CONCURRENCY polite|eager PATH');
const concurrency = Number(concurrencyArg);
let polite = mode === 'polite';
const agent = new Agent({ keepAlive: true, maxSockets: concurrency, ca: readFileSync(caFile) });

/** FloodResult is what the flood saw between start and stop. */
export interface FloodResult {
  readonly ok: number;
  readonly refused: number;
  readonly refusedWithoutRetryAfter: number;
  readonly otherAnswers: readonly string[];
  /** Milliseconds from sending to the end of each 429. */
  readonly refusedMs: readonly number[];
  /** Milliseconds from sending to the end of each 200 (admitted list). */
  readonly okMs: readonly number[];
  readonly seconds: number;
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly retryAfter: string | undefined;
  readonly ms: number;
}

function send(): Promise<Answer> {
  const started = performance.now();
  return new Promise((done) => {
    const req = request(new URL(path as string, url), { agent, timeout: 20_000, headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => done({ status: res.statusCode ?? 0, body, retryAfter: res.headers['retry-after'], ms: performance.now() - started }));
      res.on('error', (err) => done({ status: 0, body: err.message, retryAfter: undefined, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => done({ status: 0, body: err.message, retryAfter: undefined, ms: performance.now() - started }));
    req.end();
  });
}

let stopping = false;
let loops: Promise<void>[] = [];
let startedAt = 0;
const counts = { ok: 0, refused: 0, refusedWithoutRetryAfter: 0, otherAnswers: [] as string[], refusedMs: [] as number[], okMs: [] as number[] };

async function loop(): Promise<void> {
  while (!stopping) {
    const a = await send();
    if (a.status === 200) {
      counts.ok++;
      counts.okMs.push(a.ms);
    }
    else if (a.status === 429) {
      counts.refused++;
      counts.refusedMs.push(a.ms);
      if (!a.retryAfter || !(Number(a.retryAfter) >= 1)) counts.refusedWithoutRetryAfter++;
      if (polite) {
        // Wake early when told to stop, so a round ends on time.
        const until = performance.now() + Number(a.retryAfter ?? '1') * 1000;
        while (!stopping && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
      }
    } else if (counts.otherAnswers.length < 20) counts.otherAnswers.push(`${a.status} ${a.body.slice(0, 200)}`);
  }
}

process.on('message', (m: { start?: boolean; mode?: string; stop?: boolean }) => {
  if (m.start) {
    stopping = false;
    if (m.mode !== undefined) polite = m.mode === 'polite';
    Object.assign(counts, { ok: 0, refused: 0, refusedWithoutRetryAfter: 0, otherAnswers: [], refusedMs: [], okMs: [] });
    startedAt = performance.now();
    loops = Array.from({ length: concurrency }, loop);
  } else if (m.stop) {
    stopping = true;
    const seconds = (performance.now() - startedAt) / 1000;
    void Promise.all(loops).then(() => {
      const result: FloodResult = { ...counts, seconds };
      process.send?.({ result });
    });
  }
});
process.stdin.on('end', () => {
  agent.destroy();
  process.exit(0);
});
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
