// Child process for the durability test in sqlite-storage.test.ts: writes keys into the database given as the
// first argument as fast as it can, 64 writes in flight at a time (or the second argument's number: 1 makes every
// batch a lone write, which is fsynced on the event loop), and prints each key's name on its own line once
// its create() has resolved (that is, once it is acknowledged). The test kills it with SIGKILL mid-stream.
import { SqliteStorage } from '../sqlite-storage.js';

const path = process.argv[2];
if (path === undefined) throw new Error('Cannot start durability writer: no database path given');
const writers = Number(process.argv[3] ?? 64);
const storage = await SqliteStorage.open({ path });
const value = new Uint8Array(512).fill(120);
let next = 0;

async function writer(id: number): Promise<void> {
  for (;;) {
    const key = `/durability/${id}/${next++}`;
    await storage.create(key, value);
    // Pipes to a parent are synchronous on Linux, so the line is out before the next write starts.
    process.stdout.write(`${key}\n`);
  }
}

await Promise.all(Array.from({ length: writers }, (_, i) => writer(i)));
