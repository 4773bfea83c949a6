/**
 * Watch swarm: a helper process holding many HTTPS watch streams (or raw chunked streams) open against one URL,
 * for the fan-out benchmark. It reads newline-delimited events, picks each event's object name (bench pods are
 * named `f-<n>`), and when every stream of this process has seen a name it reports `{name, at}` over IPC, `at`
 * being a wall clock comparable across processes. Clients run here, not in the benchmark's process, so their
 * TLS and parsing work does not steal the event loop of the side that measures.
 * Run (by watch-fanout.ts): node --import tsx bench/watch-swarm.ts URL COUNT CA_FILE CERT_FILE KEY_FILE [capture]
 * Prints {"connected":N} once every stream got its response headers. On IPC {"dump":true} it answers
 * {"lines":[…]} with every line stream 0 received (when started with `capture`). Exits when stdin closes.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

import { wallClockMs } from './latency-summary.js';

const [url, countArg, caFile, certFile, keyFile, captureArg] = process.argv.slice(2);
if (!url || !countArg || !caFile || !certFile || !keyFile) throw new Error('Cannot start watch swarm: usage URL COUNT CA_FILE CERT_FILE KEY_FILE [capture]');
const count = Number(countArg);
const capture = captureArg === 'capture';
const CONNECT_PARALLELISM = 32;
const NAME = /"name":"(f-\d+)"/;

const agent = new Agent({ keepAlive: false, maxSockets: Infinity, ca: readFileSync(caFile), cert: readFileSync(certFile), key: readFileSync(keyFile) });
const seen = new Map<string, number>();
const captured: string[] = [];

function onLine(line: string, stream: number): void {
  if (capture && stream === 0) captured.push(line);
  const name = NAME.exec(line)?.[1];
  if (name === undefined) return;
  const n = (seen.get(name) ?? 0) + 1;
  seen.set(name, n);
  if (n === count) process.send?.({ name, at: wallClockMs() });
}

function open(stream: number): Promise<void> {
  return new Promise((done, fail) => {
    const req = request(url as string, { agent, headers: { Accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        fail(new Error(`Cannot watch ${url}: HTTP ${res.statusCode}`));
        return;
      }
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        pending += chunk;
        let nl = pending.indexOf('\n');
        while (nl >= 0) {
          onLine(pending.slice(0, nl), stream);
          pending = pending.slice(nl + 1);
          nl = pending.indexOf('\n');
        }
      });
      // A stream breaking (the server stopping at the end of a run) is not this helper's failure: the parent
      // notices missing deliveries instead.
      res.on('error', () => undefined);
      done();
    });
    req.on('error', fail);
    req.end();
  });
}

let next = 0;
await Promise.all(Array.from({ length: Math.min(CONNECT_PARALLELISM, count) }, async () => {
  while (next < count) await open(next++);
}));
process.stdout.write(`${JSON.stringify({ connected: count })}\n`);
process.on('message', (m: unknown) => {
  if (typeof m === 'object' && m !== null && 'dump' in m) process.send?.({ lines: captured });
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
