/**
 * Raw fan-out server: the reference for the watch benchmark. A bare Node HTTPS server (the API server's serving
 * certificate and key, so TLS costs the same) that answers every GET with a chunked `application/json` stream and
 * keeps it open; on IPC it writes given event lines to every open stream, one write per event per stream, as the
 * API's watch handler does.
 * Run (by watch-fanout.ts): node --import tsx bench/raw-fanout-server.ts CERT_FILE KEY_FILE
 * Prints {"port":N}. IPC in: {"burst":[lines]} writes all lines at once, then answers {"burstDone":true};
 * {"paced":[lines],"intervalMs":n} writes line i at start + i·n ms and answers {"emitted":name,"at":wallClock}
 * for each line (taken before its first write), then {"pacedDone":true}. Exits when stdin closes.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';

import { wallClockMs } from './latency-summary.js';

const [certFile, keyFile] = process.argv.slice(2);
if (!certFile || !keyFile) throw new Error('Cannot start raw fan-out server: usage CERT_FILE KEY_FILE');
const NAME = /"name":"(f-\d+)"/;
const streams = new Set<ServerResponse>();

const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  streams.add(res);
  req.on('close', () => streams.delete(res));
});

function emit(line: string): void {
  const bytes = `${line}\n`;
  for (const res of streams) res.write(bytes);
}

function isLines(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((l) => typeof l === 'string');
}

process.on('message', (m: unknown) => {
  if (typeof m !== 'object' || m === null) return;
  if ('burst' in m && isLines(m.burst)) {
    for (const line of m.burst) emit(line);
    process.send?.({ burstDone: true });
  } else if ('paced' in m && isLines(m.paced) && 'intervalMs' in m && typeof m.intervalMs === 'number') {
    const lines = m.paced;
    const interval = m.intervalMs;
    const start = performance.now();
    let i = 0;
    const tick = (): void => {
      while (i < lines.length && performance.now() >= start + i * interval) {
        const line = lines[i++] ?? '';
        process.send?.({ emitted: NAME.exec(line)?.[1] ?? '', at: wallClockMs() });
        emit(line);
      }
      if (i < lines.length) setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
      else process.send?.({ pacedDone: true });
    };
    tick();
  }
});

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr !== null ? addr.port : 0 })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
