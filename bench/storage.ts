// Storage write benchmark: how close SqliteStorage's durable group commit gets to raw better-sqlite3.
// Run: node --import tsx bench/storage.ts [--seconds N]
// Measures, in one run, on temp files in the same directory:
//   (a) raw better-sqlite3: transactions of 64 inserts of 2 KiB values into a kv-shaped table, WAL, synchronous=FULL;
//   (b) SqliteStorage.create with 64 concurrent callers (2 KiB values), and the p50/p99 latency of sequential creates.
// Prints one JSON line; `ratio` is (b) throughput over (a) (target: at least 0.25).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';

import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';

const VALUE_BYTES = 2048;
const BATCH = 64;
const CONCURRENCY = 64;
const SEQUENTIAL_WRITES = 300;

const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 6;
const value = new Uint8Array(VALUE_BYTES).fill(0x61);

/** (a) Raw inserts: the same table shape as SqliteStorage, no preconditions, one fsync per 64 rows. */
function rawInsertsPerSecond(dir: string): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE kv (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, created INTEGER NOT NULL,
      deleted INTEGER NOT NULL, create_revision INTEGER NOT NULL, prev_revision INTEGER NOT NULL, value BLOB NOT NULL);
    CREATE INDEX kv_name_id_deleted ON kv (name, id, deleted);`);
  const insert = db.prepare(
    'INSERT INTO kv (name, created, deleted, create_revision, prev_revision, value) VALUES (?, 1, 0, 0, 0, ?)',
  );
  const buf = Buffer.from(value);
  let n = 0;
  const batch = db.transaction(() => {
    for (let i = 0; i < BATCH; i++) insert.run(`/bench/raw/${n++}`, buf);
  });
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) batch();
  const elapsed = (performance.now() - start) / 1000;
  db.close();
  return n / elapsed;
}

/** (b1) SqliteStorage.create throughput with CONCURRENCY callers, each awaiting its previous create. */
async function storageCreatesPerSecond(dir: string): Promise<number> {
  const storage = await SqliteStorage.open({ path: join(dir, 'storage.db') });
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const start = performance.now();
  async function caller(): Promise<void> {
    while (performance.now() < end) await storage.create(`/bench/concurrent/${n++}`, value);
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, () => caller()));
  const elapsed = (performance.now() - start) / 1000;
  await storage.close();
  return n / elapsed;
}

/** (b2) Latency of one create at a time, in milliseconds. */
async function sequentialLatency(dir: string): Promise<{ p50: number; p99: number }> {
  const storage = await SqliteStorage.open({ path: join(dir, 'sequential.db') });
  const samples: number[] = [];
  for (let i = 0; i < SEQUENTIAL_WRITES; i++) {
    const t = performance.now();
    await storage.create(`/bench/sequential/${i}`, value);
    samples.push(performance.now() - t);
  }
  await storage.close();
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

const dir = mkdtempSync(join(tmpdir(), 'tkube-bench-storage-'));
try {
  const raw = rawInsertsPerSecond(dir);
  const storage = await storageCreatesPerSecond(dir);
  const latency = await sequentialLatency(dir);
  const round = (x: number, digits = 0): number => Number(x.toFixed(digits));
  process.stdout.write(
    `${JSON.stringify({
      bench: 'storage',
      valueBytes: VALUE_BYTES,
      secondsPerPhase: seconds,
      rawInsertsPerSec: round(raw),
      rawBatch: BATCH,
      sqliteStorageCreatesPerSec: round(storage),
      concurrency: CONCURRENCY,
      ratio: round(storage / raw, 3),
      sequentialCreateP50Ms: round(latency.p50, 2),
      sequentialCreateP99Ms: round(latency.p99, 2),
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
