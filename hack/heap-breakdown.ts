/**
 * heap-breakdown: where a V8 heap snapshot's memory is, without DevTools.
 *
 * Run: node --max-old-space-size=8192 --import tsx hack/heap-breakdown.ts SNAPSHOT [BASELINE] [--depth 8] [--min-mb 1] [--shared]
 *
 * Prints (1) self size and count by constructor (with the change from BASELINE when given), and (2) the dominator
 * tree from the GC roots down to `--depth`, children retaining at least `--min-mb`: each line is the edge that
 * leads there, the object's constructor (a WatchCache or informer Store shows its prefix / resource), its retained
 * size and how many objects it retains. The retained size of a node is what freeing it would free: its own size
 * plus everything only reachable through it. Weak edges do not retain.
 *
 * The snapshot is read into one Buffer and walked byte by byte (a snapshot of a large heap does not fit in one JS
 * string, so JSON.parse cannot read it); nodes and edges go into typed arrays.
 */
import { readFileSync } from 'node:fs';

interface SnapshotMeta {
  readonly node_fields: string[];
  readonly node_types: [string[], ...unknown[]];
  readonly edge_fields: string[];
  readonly edge_types: [string[], ...unknown[]];
}

/** HeapGraph is a parsed snapshot: flat node and edge arrays in V8's layout, and the strings table. */
interface HeapGraph {
  readonly meta: SnapshotMeta;
  readonly nodes: Uint32Array;
  readonly edges: Uint32Array;
  readonly strings: string[];
}

/** GrowableU32 collects unsigned integers of unknown count. */
class GrowableU32 {
  data = new Uint32Array(1 << 20);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

function readSnapshot(path: string): HeapGraph {
  const buf = readFileSync(path);
  const head = buf.subarray(0, Math.min(buf.length, 1 << 20)).toString('latin1');
  const nodesAt = head.indexOf('"nodes":');
  if (nodesAt < 0) throw new Error(`Cannot read ${path}: no "nodes" array in its first MiB`);
  const meta = (JSON.parse(`${head.slice(0, head.lastIndexOf(',', nodesAt))}}`) as { snapshot: { meta: SnapshotMeta } }).snapshot.meta;
  const arrays = new Map<string, Uint32Array>();
  let strings: string[] = [];
  let i = nodesAt;
  const n = buf.length;
  while (i < n) {
    // At a key: "name":[ ... ]
    const q = buf.indexOf(0x22, i);
    if (q < 0) break;
    const qEnd = buf.indexOf(0x22, q + 1);
    const key = buf.toString('latin1', q + 1, qEnd);
    i = buf.indexOf(0x5b, qEnd) + 1; // past '['
    if (key === 'strings') {
      strings = [];
      for (;;) {
        while (buf[i] !== 0x22 && buf[i] !== 0x5d) i++;
        if (buf[i] === 0x5d) break;
        let j = i + 1;
        let escaped = false;
        for (; buf[j] !== 0x22; j++) {
          if (buf[j] === 0x5c) {
            escaped = true;
            j++;
          }
        }
        strings.push(escaped ? (JSON.parse(buf.toString('utf8', i, j + 1)) as string) : buf.toString('utf8', i + 1, j));
        i = j + 1;
      }
      i++;
      continue;
    }
    const out = new GrowableU32();
    let v = 0;
    let inNumber = false;
    for (;;) {
      const c = buf[i++];
      if (c === undefined) break;
      if (c >= 0x30 && c <= 0x39) {
        v = v * 10 + (c - 0x30);
        inNumber = true;
      } else {
        if (inNumber) out.push(v);
        v = 0;
        inNumber = false;
        if (c === 0x5d) break;
      }
    }
    arrays.set(key, out.done());
  }
  const nodes = arrays.get('nodes');
  const edges = arrays.get('edges');
  if (!nodes || !edges) throw new Error(`Cannot read ${path}: nodes or edges missing`);
  return { meta, nodes, edges, strings };
}

/** Analysis is a graph with its dominator tree and retained sizes, by node ordinal. */
class Analysis {
  readonly g: HeapGraph;
  readonly nodeCount: number;
  readonly nf: number;
  readonly ef: number;
  readonly firstEdge: Uint32Array;
  readonly idom: Uint32Array;
  readonly retained: Float64Array;
  readonly retainedCount: Uint32Array;
  readonly #typeOff: number;
  readonly #nameOff: number;
  readonly #sizeOff: number;
  readonly #edgeCountOff: number;
  readonly #eTypeOff: number;
  readonly #eNameOff: number;
  readonly #eToOff: number;
  readonly #weak: number;
  readonly #shortcut: number;

  constructor(g: HeapGraph) {
    this.g = g;
    const m = g.meta;
    this.nf = m.node_fields.length;
    this.ef = m.edge_fields.length;
    this.nodeCount = g.nodes.length / this.nf;
    this.#typeOff = m.node_fields.indexOf('type');
    this.#nameOff = m.node_fields.indexOf('name');
    this.#sizeOff = m.node_fields.indexOf('self_size');
    this.#edgeCountOff = m.node_fields.indexOf('edge_count');
    this.#eTypeOff = m.edge_fields.indexOf('type');
    this.#eNameOff = m.edge_fields.indexOf('name_or_index');
    this.#eToOff = m.edge_fields.indexOf('to_node');
    this.#weak = m.edge_types[0].indexOf('weak');
    this.#shortcut = m.edge_types[0].indexOf('shortcut');
    this.firstEdge = new Uint32Array(this.nodeCount + 1);
    let e = 0;
    for (let k = 0; k < this.nodeCount; k++) {
      this.firstEdge[k] = e;
      e += (g.nodes[k * this.nf + this.#edgeCountOff] ?? 0) * this.ef;
    }
    this.firstEdge[this.nodeCount] = e;
    const { idom, order } = this.#dominators();
    this.idom = idom;
    this.retained = new Float64Array(this.nodeCount);
    this.retainedCount = new Uint32Array(this.nodeCount);
    for (let k = 0; k < this.nodeCount; k++) {
      this.retained[k] = this.selfSize(k);
      this.retainedCount[k] = 1;
    }
    // Postorder: every node before its dominator.
    for (const k of order) {
      if (k === 0) continue;
      const d = idom[k] ?? 0;
      this.retained[d] = (this.retained[d] ?? 0) + (this.retained[k] ?? 0);
      this.retainedCount[d] = (this.retainedCount[d] ?? 0) + (this.retainedCount[k] ?? 0);
    }
  }

  selfSize(k: number): number {
    return this.g.nodes[k * this.nf + this.#sizeOff] ?? 0;
  }

  type(k: number): string {
    return this.g.meta.node_types[0][this.g.nodes[k * this.nf + this.#typeOff] ?? 0] ?? '?';
  }

  name(k: number): string {
    return this.g.strings[this.g.nodes[k * this.nf + this.#nameOff] ?? 0] ?? '?';
  }

  /** className groups nodes as DevTools' summary does: objects by constructor, the rest by their type. */
  className(k: number): string {
    const t = this.type(k);
    if (t === 'object' || t === 'native') return this.name(k);
    if (t === 'closure') return '(closure)';
    if (t === 'string' || t === 'concatenated string' || t === 'sliced string') return '(string)';
    return `(${t})`;
  }

  /** edges calls f(target ordinal, edge type, edge name) for each strong edge of k. */
  edges(k: number, f: (to: number, type: number, name: string) => void): void {
    const { edges } = this.g;
    const eTypes = this.g.meta.edge_types[0];
    for (let e = this.firstEdge[k] ?? 0, end = this.firstEdge[k + 1] ?? 0; e < end; e += this.ef) {
      const type = edges[e + this.#eTypeOff] ?? 0;
      if (type === this.#weak || type === this.#shortcut) continue;
      const raw = edges[e + this.#eNameOff] ?? 0;
      const tn = eTypes[type];
      const name = tn === 'element' || tn === 'hidden' ? `[${raw}]` : (this.g.strings[raw] ?? '?');
      f((edges[e + this.#eToOff] ?? 0) / this.nf, type, name);
    }
  }

  /** #dominators: Cooper, Harvey and Kennedy's iterative algorithm over a DFS postorder from the root (ordinal 0). */
  #dominators(): { idom: Uint32Array; order: Uint32Array } {
    const N = this.nodeCount;
    const { edges } = this.g;
    const UNSEEN = 0xffffffff;
    const post = new Uint32Array(N).fill(UNSEEN); // ordinal → postorder index
    const order = new Uint32Array(N); // postorder index → ordinal
    let count = 0;
    // Iterative DFS.
    const stackNode = new Uint32Array(N);
    const stackEdge = new Uint32Array(N);
    const visited = new Uint8Array(N);
    let sp = 0;
    stackNode[0] = 0;
    stackEdge[0] = this.firstEdge[0] ?? 0;
    visited[0] = 1;
    sp = 1;
    while (sp > 0) {
      const k = stackNode[sp - 1] ?? 0;
      const end = this.firstEdge[k + 1] ?? 0;
      let e = stackEdge[sp - 1] ?? 0;
      let pushed = false;
      while (e < end) {
        const type = edges[e + this.#eTypeOff] ?? 0;
        const to = (edges[e + this.#eToOff] ?? 0) / this.nf;
        e += this.ef;
        if (type === this.#weak || type === this.#shortcut || visited[to]) continue;
        visited[to] = 1;
        stackEdge[sp - 1] = e;
        stackNode[sp] = to;
        stackEdge[sp] = this.firstEdge[to] ?? 0;
        sp++;
        pushed = true;
        break;
      }
      if (!pushed) {
        post[k] = count;
        order[count++] = k;
        sp--;
      }
    }
    // Predecessors (reachable nodes only), CSR by postorder index.
    const predCount = new Uint32Array(count + 1);
    for (let k = 0; k < N; k++) {
      if (post[k] === UNSEEN) continue;
      this.edges(k, (to) => {
        const p = post[to] ?? UNSEEN;
        if (p !== UNSEEN) predCount[p + 1] = (predCount[p + 1] ?? 0) + 1;
      });
    }
    for (let p = 0; p < count; p++) predCount[p + 1] = (predCount[p + 1] ?? 0) + (predCount[p] ?? 0);
    const preds = new Uint32Array(predCount[count] ?? 0);
    const fill = predCount.slice();
    for (let k = 0; k < N; k++) {
      const pk = post[k] ?? UNSEEN;
      if (pk === UNSEEN) continue;
      this.edges(k, (to) => {
        const p = post[to] ?? UNSEEN;
        if (p !== UNSEEN) preds[fill[p]!++] = pk;
      });
    }
    // idom by postorder index; the root is count - 1.
    const root = count - 1;
    const dom = new Uint32Array(count).fill(UNSEEN);
    dom[root] = root;
    let changed = true;
    while (changed) {
      changed = false;
      for (let b = root - 1; b >= 0; b--) {
        let newIdom = UNSEEN;
        for (let x = predCount[b] ?? 0, end = predCount[b + 1] ?? 0; x < end; x++) {
          const p = preds[x] ?? 0;
          if (dom[p] === UNSEEN) continue;
          if (newIdom === UNSEEN) {
            newIdom = p;
            continue;
          }
          let f1 = p;
          let f2 = newIdom;
          while (f1 !== f2) {
            while (f1 < f2) f1 = dom[f1] ?? root;
            while (f2 < f1) f2 = dom[f2] ?? root;
          }
          newIdom = f1;
        }
        if (newIdom !== UNSEEN && dom[b] !== newIdom) {
          dom[b] = newIdom;
          changed = true;
        }
      }
    }
    const idom = new Uint32Array(N);
    for (let p = 0; p < count; p++) idom[order[p] ?? 0] = order[dom[p] ?? root] ?? 0;
    return { idom, order: order.subarray(0, count) };
  }

  /** label names a node: its class, plus a prefix/resource/name property when it has one (to tell caches apart). */
  label(k: number): string {
    let extra = '';
    if (this.type(k) === 'object') {
      this.edges(k, (to, _t, name) => {
        if (extra === '' && (name === '#prefix' || name === 'prefix' || name === 'resource' || name === '#resource') && this.type(to) === 'string') extra = ` ${this.name(to)}`;
        if (extra === '' && (name === '#resource' || name === 'resource') && this.type(to) === 'object') {
          this.edges(to, (t2, _t2, n2) => {
            if (n2 === 'resource' && extra === '') extra = ` ${this.name(t2)}`;
          });
        }
      });
    }
    return this.className(k) + extra;
  }
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function byClass(a: Analysis): Map<string, { self: number; count: number }> {
  const out = new Map<string, { self: number; count: number }>();
  for (let k = 0; k < a.nodeCount; k++) {
    const c = a.className(k);
    const row = out.get(c) ?? { self: 0, count: 0 };
    row.self += a.selfSize(k);
    row.count++;
    out.set(c, row);
  }
  return out;
}

function printTree(a: Analysis, depth: number, minBytes: number): void {
  const children = new Map<number, number[]>();
  for (let k = 1; k < a.nodeCount; k++) {
    if ((a.retained[k] ?? 0) < minBytes) continue;
    const d = a.idom[k] ?? 0;
    const list = children.get(d);
    if (list) list.push(k);
    else children.set(d, [k]);
  }
  const visit = (k: number, level: number, via: string): void => {
    const line = `${'  '.repeat(level)}${via}${a.label(k)}  ${mb(a.retained[k] ?? 0)} MB, ${a.retainedCount[k] ?? 0} objects`;
    process.stdout.write(`${line}\n`);
    if (level >= depth) return;
    const kids = (children.get(k) ?? []).sort((x, y) => (a.retained[y] ?? 0) - (a.retained[x] ?? 0));
    // The edge from the dominator, when it points at the child directly.
    const names = new Map<number, string>();
    a.edges(k, (to, _t, name) => {
      if (!names.has(to)) names.set(to, name);
    });
    for (const c of kids) visit(c, level + 1, names.has(c) ? `.${names.get(c)} → ` : '… → ');
  };
  visit(0, 0, '');
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const sharedAt = args.indexOf('--shared');
if (sharedAt >= 0) args.splice(sharedAt, 1);
const depth = flag('--depth', 8);
const minMb = flag('--min-mb', 1);
const [snapshotPath, baselinePath] = args;
if (snapshotPath === undefined) {
  process.stderr.write('usage: hack/heap-breakdown.ts SNAPSHOT [BASELINE] [--depth 8] [--min-mb 1]\n');
  process.exit(2);
}
const main = new Analysis(readSnapshot(snapshotPath));
const base = baselinePath !== undefined ? byClass(new Analysis(readSnapshot(baselinePath))) : undefined;
const classes = [...byClass(main).entries()].sort((x, y) => y[1].self - x[1].self);
let total = 0;
for (const [, r] of classes) total += r.self;
process.stdout.write(`total ${mb(total)} MB in ${main.nodeCount} objects\n\nself size by constructor${base ? ' (change from the baseline)' : ''}:\n`);
for (const [name, r] of classes.slice(0, 40)) {
  const b = base?.get(name);
  const change = base ? `  (${r.self - (b?.self ?? 0) >= 0 ? '+' : ''}${mb(r.self - (b?.self ?? 0))} MB, ${r.count - (b?.count ?? 0) >= 0 ? '+' : ''}${r.count - (b?.count ?? 0)})` : '';
  process.stdout.write(`  ${mb(r.self).padStart(8)} MB ${String(r.count).padStart(9)}  ${name.slice(0, 80)}${change}\n`);
}
// Retained by class: instances of at least 64 KiB not held inside another instance of the same class.
const owners = new Map<string, { retained: number; count: number }>();
for (let k = 1; k < main.nodeCount; k++) {
  if ((main.retained[k] ?? 0) < 65536) continue;
  const c = main.label(k);
  let nested = false;
  for (let d = main.idom[k] ?? 0; d !== 0; d = main.idom[d] ?? 0) {
    if (main.label(d) === c) {
      nested = true;
      break;
    }
  }
  if (nested) continue;
  const row = owners.get(c) ?? { retained: 0, count: 0 };
  row.retained += main.retained[k] ?? 0;
  row.count++;
  owners.set(c, row);
}
process.stdout.write('\nretained by owner (instances ≥ 64 KiB, outermost only):\n');
for (const [name, r] of [...owners.entries()].sort((x, y) => y[1].retained - x[1].retained).slice(0, 40)) {
  process.stdout.write(`  ${mb(r.retained).padStart(8)} MB ${String(r.count).padStart(6)}  ${name.slice(0, 100)}\n`);
}
process.stdout.write('\ndominator tree (retained size):\n');
printTree(main, depth, minMb * 1024 * 1024);

/**
 * Shared memory by holders: objects no single owner dominates (the root is their dominator: a decoded pod held by an
 * informer's store, a kubelet's map and the scheduler's cache at once) do not show in the tree above. Each is
 * attributed to the set of its holders: for every retainer, the nearest dominator of it that is an instance of a
 * named class (not a plain Object, Array, Map, Set or internal array), with the edge names on the way.
 */
function printShared(a: Analysis, top: number): void {
  const plain = new Set(['Object', 'Array', 'Map', 'Set', '(array)', '(hidden)', '(object shape)', 'system / Context', '(closure)', '(string)', '(number)', '(code)', '(synthetic)', 'WeakMap', 'WeakRef']);
  const rootKids: number[] = [];
  const isRootKid = new Uint8Array(a.nodeCount);
  for (let k = 1; k < a.nodeCount; k++) {
    if ((a.idom[k] ?? 0) === 0 && (a.retained[k] ?? 0) >= 256) {
      rootKids.push(k);
      isRootKid[k] = 1;
    }
  }
  const retainers = new Map<number, number[]>();
  for (let k = 0; k < a.nodeCount; k++) {
    a.edges(k, (to) => {
      if (isRootKid[to] !== 1) return;
      const list = retainers.get(to);
      if (list) list.push(k);
      else retainers.set(to, [k]);
    });
  }
  const ownerOf = new Map<number, string>();
  const owner = (p: number): string => {
    const known = ownerOf.get(p);
    if (known !== undefined) return known;
    let d = p;
    let label = '(root)';
    for (let i = 0; i < 64 && d !== 0; i++, d = a.idom[d] ?? 0) {
      const c = a.className(d);
      if (!plain.has(c) && a.type(d) === 'object') {
        label = a.label(d);
        break;
      }
    }
    ownerOf.set(p, label);
    return label;
  };
  const groups = new Map<string, { retained: number; count: number }>();
  for (const k of rootKids) {
    const holders = [...new Set((retainers.get(k) ?? []).map(owner))].sort().join(' + ') || '(GC roots)';
    const key = `${a.className(k)} held by ${holders}`;
    const row = groups.get(key) ?? { retained: 0, count: 0 };
    row.retained += a.retained[k] ?? 0;
    row.count++;
    groups.set(key, row);
  }
  process.stdout.write('\nshared (dominated only by the root), grouped by what holds them:\n');
  for (const [name, r] of [...groups.entries()].sort((x, y) => y[1].retained - x[1].retained).slice(0, top)) {
    process.stdout.write(`  ${mb(r.retained).padStart(8)} MB ${String(r.count).padStart(8)}  ${name.slice(0, 160)}\n`);
  }
}
if (sharedAt >= 0) printShared(main, 30);
