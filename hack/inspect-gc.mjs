/**
 * inspect-gc: asks a Node process with an open inspector for one full collection (HeapProfiler.collectGarbage) and
 * prints its RSS and V8 heap before, right after, 5 s and 30 s after — how much of RSS is heap V8 would give back
 * (issue 5, session 12). Open the inspector of a running server with `kill -USR1 PID` (127.0.0.1:9229) or start it
 * with `--inspect=127.0.0.1:PORT` (TKUBE_BENCH_NODE_ARGS for the benchmarks' servers).
 *
 * Run: node --experimental-websocket hack/inspect-gc.mjs PORT PID
 */
/* global WebSocket -- Node 20 has it behind --experimental-websocket */
const [port, pid] = process.argv.slice(2);
const fs = await import('node:fs');
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const ws = new WebSocket(list[0].webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener('open', r, { once: true }));
let id = 0;
const pending = new Map();
ws.addEventListener('message', (m) => { const d = JSON.parse(m.data); if (pending.has(d.id)) { pending.get(d.id)(d.result); pending.delete(d.id); } });
const call = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
const heap = async () => { const h = await call('Runtime.getHeapUsage'); return `used ${(h.usedSize / 1048576).toFixed(0)} total ${(h.totalSize / 1048576).toFixed(0)}`; };
console.log('before', `rss ${rss().toFixed(0)}`, await heap());
const t0 = performance.now();
await call('HeapProfiler.collectGarbage');
console.log('gc took', (performance.now() - t0).toFixed(0), 'ms');
console.log('after', `rss ${rss().toFixed(0)}`, await heap());
await new Promise((r) => setTimeout(r, 5000));
console.log('after 5 s', `rss ${rss().toFixed(0)}`, await heap());
await new Promise((r) => setTimeout(r, 25000));
console.log('after 30 s', `rss ${rss().toFixed(0)}`, await heap());
ws.close();
