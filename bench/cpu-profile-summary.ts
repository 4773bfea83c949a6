/**
 * Summarises a V8 CPU profile of a bundled server (`--cpu-prof`, e.g. through TKUBE_BENCH_NODE_ARGS) over a window
 * of time: where the samples were, mapped back to our source files through the bundle's source map.
 *
 * Run: node --import tsx bench/cpu-profile-summary.ts PROFILE BUNDLE [--from US --to US] [--top N] [--by file|folder]
 *        [--component] [--stacks PATTERN]
 * `--from`/`--to` are monotonic microseconds (process.hrtime, the clock V8 stamps samples with; bench/pod-start.ts
 * prints the burst's as `burstMonotonicUs`). Prints, as shares of the window's samples (idle included, so that a
 * saturated loop reads as ~100 % busy):
 *   - self time by category: (idle), (garbage collector), (program), node internals, our code per folder or file;
 *   - with `--component`, inclusive time by the outermost frame of ours on each sample's stack: what the event loop
 *     was running a callback of (a request handler, an informer, the kubelet's sync), whatever it called;
 *   - `--stacks PATTERN`: the most frequent stacks (ours only, outermost first) whose frames match PATTERN.
 * A profile samples the thread whether or not the kernel runs it, so on a loaded machine these are shares of wall
 * time, not of CPU; the bench's CPU figures say how much CPU there was to share.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';

import { numberArg } from './bench-args.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [profilePath, bundlePath] = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
if (profilePath === undefined || bundlePath === undefined) {
  process.stderr.write('usage: cpu-profile-summary.ts PROFILE BUNDLE [--from US --to US] [--top N] [--by file|folder] [--component] [--stacks PATTERN]\n');
  process.exit(2);
}
const from = numberArg('--from', 0);
const to = numberArg('--to', Number.MAX_SAFE_INTEGER);
const top = numberArg('--top', 30);
const byIndex = process.argv.indexOf('--by');
const by = byIndex > 0 ? process.argv[byIndex + 1] : 'folder';
const stacksIndex = process.argv.indexOf('--stacks');
const stacksPattern = stacksIndex > 0 ? new RegExp(process.argv[stacksIndex + 1] ?? '.') : undefined;

const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as Profile;
const map = new SourceMap(JSON.parse(readFileSync(`${bundlePath}.map`, 'utf8')) as never);
const bundleName = bundlePath.slice(bundlePath.lastIndexOf('/') + 1);

/** Where a frame is: `src/...ts:fn` for ours, `node_modules/<pkg>`, `node:<module>`, or V8's own `(name)`. */
interface Place {
  readonly file: string;
  readonly fn: string;
  readonly ours: boolean;
}
const nodes = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of profile.nodes) {
  nodes.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}
const places = new Map<number, Place>();
function placeOf(id: number): Place {
  const cached = places.get(id);
  if (cached) return cached;
  const f = (nodes.get(id) as ProfileNode).callFrame;
  let place: Place;
  if (f.url.endsWith(bundleName)) {
    const entry = map.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; name?: string };
    const src = (entry.originalSource ?? '?').replace(/^.*?\/(src|node_modules)\//, '$1/');
    const ours = src.startsWith('src/');
    const file = ours ? src : src.replace(/^(node_modules\/(@[^/]+\/)?[^/]+).*$/, '$1');
    place = { file, fn: f.functionName || '(anonymous)', ours };
  } else if (f.url.startsWith('node:')) {
    place = { file: f.url, fn: f.functionName, ours: false };
  } else if (f.url === '') {
    // V8's pseudo-frames ((idle), (garbage collector), (program)) stand alone; the rest are native functions
    // (bindings such as writeFileSync's or a signature's), named by the function.
    place = { file: f.functionName.startsWith('(') ? f.functionName : `native ${f.functionName}`, fn: f.functionName, ours: false };
  } else {
    place = { file: f.url, fn: f.functionName, ours: false };
  }
  places.set(id, place);
  return place;
}
function stackOf(id: number): number[] {
  const out: number[] = [];
  for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) out.push(n);
  return out.reverse(); // outermost first
}

const folderOf = (file: string): string => (file.startsWith('src/') ? file.split('/').slice(0, by === 'file' ? 99 : 3).join('/').replace(/\.ts$/, by === 'file' ? '.ts' : '') : file.startsWith('node:') ? 'node:' + file.slice(5).split('/')[0] : file);
const self = new Map<string, number>();
const component = new Map<string, number>();
const stacks = new Map<string, number>();
let total = 0;
let t = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  t += profile.timeDeltas[i] ?? 0;
  if (t < from || t > to) continue;
  const id = profile.samples[i] as number;
  // Each sample counts once: the time to the next one is long when the process was not scheduled (a loaded
  // machine), which says nothing about the frame that happened to be sampled last.
  const weight = 1;
  total += weight;
  const stack = stackOf(id);
  // Self: the innermost frame of ours if the innermost frame is a library or node's (what our code asked for),
  // except V8's own pseudo-frames, which stand alone.
  const leaf = placeOf(id);
  let selfKey: string;
  if (leaf.file.startsWith('(')) selfKey = leaf.file;
  else {
    const innermostOurs = [...stack].reverse().find((n) => placeOf(n).ours);
    selfKey = leaf.ours ? folderOf(leaf.file) : innermostOurs !== undefined ? `${folderOf(placeOf(innermostOurs).file)} → ${folderOf(leaf.file)}` : folderOf(leaf.file);
  }
  self.set(selfKey, (self.get(selfKey) ?? 0) + weight);
  if (process.argv.includes('--component')) {
    const outer = stack.find((n) => placeOf(n).ours);
    const key = outer === undefined ? (leaf.file.startsWith('(') ? leaf.file : `(no frame of ours) ${folderOf(leaf.file)}`) : `${placeOf(outer).file}:${placeOf(outer).fn}`;
    component.set(key, (component.get(key) ?? 0) + weight);
  }
  if (stacksPattern !== undefined) {
    const ours = stack.map(placeOf).filter((p) => p.ours).map((p) => `${p.file.replace(/^src\//, '')}:${p.fn}`);
    if (ours.some((s) => stacksPattern.test(s))) {
      const key = ours.join(' > ') + ` > [${leaf.ours ? '' : leaf.file + ':' + leaf.fn}]`;
      stacks.set(key, (stacks.get(key) ?? 0) + weight);
    }
  }
}
const print = (title: string, m: Map<string, number>, n: number): void => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}\n`);
};
process.stdout.write(`window ${((Math.min(to, profile.endTime) - Math.max(from, profile.startTime)) / 1e6).toFixed(2)} s, ${total} samples\n`);
const ourSum = new Map<string, number>();
for (const [k, v] of self) {
  const head = k.startsWith('src/') ? k.split(' → ')[0] ?? k : k.startsWith('(') ? k : `(not ours) ${k.split(' → ').pop() ?? k}`;
  const group = head.startsWith('src/') ? head.split('/').slice(0, 3).join('/') : head.startsWith('(not ours) node:') ? '(not ours) node' : head;
  ourSum.set(group, (ourSum.get(group) ?? 0) + v);
}
print('self, grouped (ours: the innermost frame of ours, whatever it called)', ourSum, top);
print('self, in detail', self, top);
if (process.argv.includes('--component')) print('inclusive, by the outermost frame of ours', component, top);
if (stacksPattern !== undefined) print(`stacks matching ${stacksPattern}`, stacks, top);
