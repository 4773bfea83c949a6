/**
 * The tkube dashboard: a single page over the API server's watches. Views read shared informers (one live copy per
 * collection) and re-render at most once per animation frame; graphs read History. Routes are hash-based
 * (`#/pods`), so every view has a URL and the browser's back button works; everything is reachable by keyboard
 * (links, buttons and a filter box, no hover-only controls).
 */
import { html, render } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { onUnauthorized, saveToken, savedToken, type KubeObject } from './api.js';
import { TimeChart } from './chart.js';
import { age, bytes, cores, nodeRoles, nodeStatus, podReady, podRestarts, podStatus, quantity } from './format.js';
import { desiredAndReady, HPA_PATH, hpaMetric, WORKLOAD_KINDS } from './history.js';
import { informerFor, keyOf, type Informer } from './informer.js';
import { ObjectEditor } from './object-editor.js';
import { objectHref, objectPath, POD_RESOURCE, resourceOf } from './resources.js';
import { pendingReason, SchedulingTable } from './scheduling.js';
import { ExecTerminal } from './terminal.js';

/** useInformer subscribes a component to a collection and returns its items (re-rendering on change). */
function useInformer(path: string): { items: KubeObject[]; informer: Informer } {
  const informer = informerFor(path);
  const [, setTick] = useState(0);
  useEffect(() => informer.subscribe(() => setTick((t) => t + 1)), [path]);
  return { items: informer.list(), informer };
}

function useRoute(): string {
  const [route, setRoute] = useState(location.hash.replace(/^#\/?/, '') || 'overview');
  useEffect(() => {
    const on = (): void => setRoute(location.hash.replace(/^#\/?/, '') || 'overview');
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

const byNamespaceName = (a: KubeObject, b: KubeObject): number => keyOf(a).localeCompare(keyOf(b));

function Status(props: { informer: Informer }) {
  if (props.informer.error) return html`<p class="error" role="alert">${props.informer.error}</p>`;
  if (!props.informer.synced) return html`<p class="loading">Loading…</p>`;
  return null;
}

function Overview() {
  const { items: nodes, informer } = useInformer('/api/v1/nodes');
  const { items: pods } = useInformer('/api/v1/pods');
  const perNode = new Map<string, number>();
  for (const p of pods) {
    const n = String(p.spec?.['nodeName'] ?? '');
    if (n) perNode.set(n, (perNode.get(n) ?? 0) + 1);
  }
  const running = pods.filter((p) => p.status?.['phase'] === 'Running').length;
  return html`<section aria-labelledby="overview-h">
    <h2 id="overview-h">Cluster</h2>
    <p class="summary"><span data-testid="node-count">${nodes.length} nodes</span> · <span data-testid="pod-count">${pods.length} pods</span> (${running} running)</p>
    <${Status} informer=${informer} />
    <table data-table="nodes">
      <thead><tr><th>Name</th><th>Status</th><th>Roles</th><th>Pods</th><th>CPU</th><th>Memory</th><th>Age</th><th>Version</th></tr></thead>
      <tbody>${[...nodes].sort(byNamespaceName).map((n) => {
        const cap = (n.status?.['capacity'] as Record<string, string> | undefined) ?? {};
        const info = (n.status?.['nodeInfo'] as Record<string, string> | undefined) ?? {};
        return html`<tr key=${n.metadata.uid}>
          <td>${n.metadata.name}</td><td>${nodeStatus(n)}</td><td>${nodeRoles(n)}</td><td>${perNode.get(n.metadata.name) ?? 0}</td>
          <td>${cores(quantity(cap['cpu']))}</td><td>${bytes(quantity(cap['memory']))}</td><td>${age(n.metadata.creationTimestamp)}</td><td>${info['kubeletVersion'] ?? ''}</td></tr>`;
      })}</tbody>
    </table>
    <${TimeChart} id="cluster-replicas" title="Replicas: requested vs ready (all workloads), pods running" lines=${[
      { label: 'requested', series: 'cluster/desired' },
      { label: 'ready', series: 'cluster/ready' },
      { label: 'pods running', series: 'cluster/pods-running' },
    ]} />
    ${nodes.map((n) => html`<${TimeChart} key=${n.metadata.name} id=${`node-${n.metadata.name}`} title=${`Node ${n.metadata.name}: CPU (cores) and memory (bytes)`} lines=${[
      { label: 'CPU', series: `node/${n.metadata.name}/cpu` },
      { label: 'memory', series: `node/${n.metadata.name}/memory`, right: true },
    ]} />`)}
  </section>`;
}

/** Row height of windowed tables (px); the CSS gives their rows exactly this height. */
const ROW_HEIGHT = 29;
const OVERSCAN_ROWS = 15;

/**
 * useWindow: which rows of a long table are on screen (plus some either side), from the page's scroll position and
 * the table's place on the page. Rendering only those keeps a 10,000-pod list as cheap to draw as a 50-pod one;
 * spacer rows keep the scrollbar true to the whole list.
 */
function useWindow(count: number, table: { current: HTMLTableElement | null }): [number, number] {
  const [, setTick] = useState(0);
  useEffect(() => {
    let pending = false;
    const on = (): void => {
      if (pending) return;
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        setTick((t) => t + 1);
      });
    };
    window.addEventListener('scroll', on, { passive: true });
    window.addEventListener('resize', on);
    return () => {
      window.removeEventListener('scroll', on);
      window.removeEventListener('resize', on);
    };
  }, []);
  const top = table.current ? table.current.getBoundingClientRect().top + window.scrollY : 0;
  const first = Math.max(0, Math.floor((window.scrollY - top) / ROW_HEIGHT) - OVERSCAN_ROWS);
  const last = Math.min(count, Math.ceil((window.scrollY - top + window.innerHeight) / ROW_HEIGHT) + OVERSCAN_ROWS);
  return [first, Math.max(first, last)];
}

function Pods(props: { filter: string }) {
  const { items, informer } = useInformer('/api/v1/pods');
  const table = useRef<HTMLTableElement>(null);
  const shown = items.filter((p) => keyOf(p).includes(props.filter)).sort(byNamespaceName);
  const [first, last] = useWindow(shown.length, table);
  return html`<section aria-labelledby="pods-h">
    <h2 id="pods-h">Pods <small>(<span data-testid="pods-total">${shown.length}</span>)</small></h2>
    <${Status} informer=${informer} />
    <table data-table="pods" class="windowed" ref=${table}>
      <thead><tr><th>Namespace</th><th>Name</th><th>Ready</th><th>Status</th><th>Restarts</th><th>Age</th><th>IP</th><th>Node</th></tr></thead>
      <tbody>
        ${first > 0 ? html`<tr aria-hidden="true" style=${`height:${first * ROW_HEIGHT}px`}></tr>` : null}
        ${shown.slice(first, last).map((p) => html`<tr key=${p.metadata.uid} data-pod=${keyOf(p)}>
        <td>${p.metadata.namespace}</td><td><a href=${`#/pod/${keyOf(p)}`}>${p.metadata.name}</a></td><td>${podReady(p)}</td><td>${podStatus(p)}</td>
        <td>${podRestarts(p)}</td><td>${age(p.metadata.creationTimestamp)}</td><td>${String(p.status?.['podIP'] ?? '')}</td><td>${nodeCell(p)}</td></tr>`)}
        ${last < shown.length ? html`<tr aria-hidden="true" style=${`height:${(shown.length - last) * ROW_HEIGHT}px`}></tr>` : null}
      </tbody>
    </table>
  </section>`;
}

/** nodeCell: the pod's node, or for a pod waiting for one, why (the scheduler's summary; full text on hover). */
function nodeCell(p: KubeObject) {
  const node = String(p.spec?.['nodeName'] ?? '');
  if (node) return node;
  const why = pendingReason(p);
  return why ? html`<span class="why" title=${why} data-testid="pending-reason">${why}</span>` : '';
}

/**
 * useLastSeen keeps the last copy of an object that has since gone from its informer (deleted), so a page that was
 * showing it — and an edit in progress — stays, with a note, instead of vanishing.
 */
function useLastSeen(o: KubeObject | undefined): { object: KubeObject | undefined; gone: boolean } {
  const last = useRef<KubeObject | undefined>(undefined);
  if (o) last.current = o;
  return { object: o ?? last.current, gone: !o && last.current !== undefined };
}

function Gone(props: { what: string }) {
  return html`<p class="error" role="alert" data-testid="gone">${props.what} no longer exists on the server (deleted); what is shown is its last known state.</p>`;
}

function PodDetail(props: { podKey: string }) {
  const { items } = useInformer('/api/v1/pods');
  const { object: pod, gone } = useLastSeen(items.find((p) => keyOf(p) === props.podKey));
  const [ns = '', name = ''] = props.podKey.split('/');
  const containers = ((pod?.spec?.['containers'] as { name: string }[] | undefined) ?? []).map((c) => c.name);
  const [container, setContainer] = useState('');
  const [logs, setLogs] = useState('');
  const shown = container || containers[0] || '';
  const nodeName = String(pod?.spec?.['nodeName'] ?? '');
  useEffect(() => {
    // A pod not yet on a node has no log to ask for (the server would answer 400); start once it is bound.
    if (!shown || !nodeName) {
      setLogs(nodeName ? '' : '(no log yet: the pod is not on a node)');
      return;
    }
    setLogs('');
    // Follow the log as it grows: the stream stays open until the view changes.
    const stop = new AbortController();
    void (async () => {
      try {
        const res = await fetch(`/api/v1/namespaces/${ns}/pods/${name}/log?container=${encodeURIComponent(shown)}&tailLines=200&follow=true`, { headers: tokenHeaders(), signal: stop.signal });
        if (!res.ok || !res.body) {
          setLogs(`(${res.status}: ${(await res.text()).slice(0, 300)})`);
          return;
        }
        const reader = res.body.getReader();
        const decoder = new TextDecoder();
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          text = (text + decoder.decode(value, { stream: true })).slice(-200_000);
          setLogs(text);
        }
      } catch {
        // aborted, or the pod went away: the view keeps what it has
      }
    })();
    return () => stop.abort();
  }, [props.podKey, shown, nodeName]);
  if (!pod) return html`<p>Pod ${props.podKey} not found.</p>`;
  return html`<section aria-labelledby="pod-h">
    <h2 id="pod-h">Pod ${props.podKey}</h2>
    ${gone ? html`<${Gone} what=${`Pod ${props.podKey}`} />` : null}
    <p>${podStatus(pod)} on ${String(pod.spec?.['nodeName'] ?? '(not scheduled)')}, IP ${String(pod.status?.['podIP'] ?? '')}</p>
    <h3>Scheduling</h3>
    <${SchedulingTable} pod=${pod} />
    <${TimeChart} id=${`pod-${props.podKey}`} title="CPU (cores) and memory (bytes)" lines=${[
      { label: 'CPU', series: `pod/${props.podKey}/cpu` },
      { label: 'memory', series: `pod/${props.podKey}/memory`, right: true },
    ]} />
    <h3>Logs (following)</h3>
    <label>Container <select value=${shown} onChange=${(e: Event) => setContainer((e.target as HTMLSelectElement).value)}>
      ${containers.map((c) => html`<option value=${c}>${c}</option>`)}
    </select></label>
    <pre class="logs" data-logs=${props.podKey}>${logs}</pre>
    <${ExecTerminal} namespace=${ns} pod=${name} containers=${containers} />
    <h3>YAML</h3>
    <${ObjectEditor} key=${props.podKey} object=${pod} url=${objectPath(POD_RESOURCE, ns, name)} label=${`Pod ${props.podKey}`} />
  </section>`;
}

/** ObjectPage: any other kind the dashboard lists, as editable YAML (`#/object/<Kind>/<namespace>/<name>`). */
function ObjectPage(props: { route: string }) {
  const [kind = '', ns = '', name = ''] = props.route.split('/');
  const resource = resourceOf(kind);
  const { items, informer } = useInformer(resource?.path ?? POD_RESOURCE.path);
  const key = `${ns}/${name}`;
  const { object: o, gone } = useLastSeen(resource ? items.find((x) => keyOf(x) === key) : undefined);
  if (!resource) return html`<p class="error" role="alert">The dashboard has no page for objects of kind ${kind}.</p>`;
  return html`<section aria-labelledby="obj-h">
    <h2 id="obj-h">${kind} ${key}</h2>
    <${Status} informer=${informer} />
    ${gone ? html`<${Gone} what=${`${kind} ${key}`} />` : null}
    ${o ? html`<${ObjectEditor} key=${key} object=${o} url=${objectPath(resource, ns, name)} label=${`${kind} ${key}`} />` : informer.synced ? html`<p>${kind} ${key} not found.</p>` : null}
  </section>`;
}

function tokenHeaders(): Record<string, string> {
  const t = savedToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

function Workloads(props: { filter: string }) {
  const lists = WORKLOAD_KINDS.map((w) => ({ ...w, ...useInformer(w.path) }));
  const { items: hpas } = useInformer(HPA_PATH);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const rows = lists.flatMap((l) =>
    l.items
      .filter((o) => !(l.kind === 'ReplicaSet' && (o.metadata.ownerReferences ?? []).some((r) => r.controller)))
      .filter((o) => keyOf(o).includes(props.filter))
      .map((o) => ({ kind: l.kind, o })),
  );
  return html`<section aria-labelledby="wl-h">
    <h2 id="wl-h">Workloads</h2>
    <table data-table="workloads">
      <thead><tr><th>Kind</th><th>Namespace</th><th>Name</th><th>Requested</th><th>Ready</th><th>Age</th><th></th></tr></thead>
      <tbody>${rows.map(({ kind, o }) => {
        const [d, r] = desiredAndReady(kind, o);
        const id = `${kind}/${keyOf(o)}`;
        return html`<tr key=${o.metadata.uid} data-workload=${id}><td>${kind}</td><td>${o.metadata.namespace}</td><td><a href=${objectHref(kind, o)}>${o.metadata.name}</a></td><td>${d}</td><td>${r}</td>
          <td>${age(o.metadata.creationTimestamp)}</td><td><button type="button" aria-pressed=${selected === id} onClick=${() => setSelected(id)}>Graph</button></td></tr>`;
      })}</tbody>
    </table>
    ${selected ? html`<${TimeChart} id=${`workload-${selected}`} title=${`${selected}: requested vs ready`} lines=${[{ label: 'requested', series: `${selected}/desired` }, { label: 'ready', series: `${selected}/ready` }]} />` : null}
    <h2>Autoscalers</h2>
    <table data-table="hpas">
      <thead><tr><th>Namespace</th><th>Name</th><th>Target</th><th>Metric</th><th>Min</th><th>Max</th><th>Replicas</th></tr></thead>
      <tbody>${hpas.map((h) => {
        const ref = (h.spec?.['scaleTargetRef'] as { kind?: string; name?: string } | undefined) ?? {};
        const m = hpaMetric(h);
        return html`<tr key=${h.metadata.uid}><td>${h.metadata.namespace}</td><td><a href=${objectHref('HorizontalPodAutoscaler', h)}>${h.metadata.name}</a></td><td>${ref.kind}/${ref.name}</td><td>${m ? `${m.name}: ${m.value}` : '<unknown>'}</td>
          <td>${String(h.spec?.['minReplicas'] ?? 1)}</td><td>${String(h.spec?.['maxReplicas'] ?? '')}</td><td>${String(h.status?.['currentReplicas'] ?? 0)}</td></tr>`;
      })}</tbody>
    </table>
    ${hpas.map((h) => html`<${TimeChart} key=${h.metadata.uid} id=${`hpa-${keyOf(h)}`} title=${`Autoscaler ${keyOf(h)}: metric vs replicas`} lines=${[
      { label: 'replicas', series: `hpa/${keyOf(h)}/replicas` },
      { label: 'desired', series: `hpa/${keyOf(h)}/desired` },
      { label: hpaMetric(h)?.name ?? 'metric', series: `hpa/${keyOf(h)}/metric`, right: true },
    ]} />`)}
  </section>`;
}

function Services(props: { filter: string }) {
  const { items, informer } = useInformer('/api/v1/services');
  return html`<section aria-labelledby="svc-h">
    <h2 id="svc-h">Services</h2>
    <${Status} informer=${informer} />
    <table data-table="services">
      <thead><tr><th>Namespace</th><th>Name</th><th>Type</th><th>Cluster IP</th><th>External IP</th><th>Ports</th><th>Age</th></tr></thead>
      <tbody>${items.filter((s) => keyOf(s).includes(props.filter)).sort(byNamespaceName).map((s) => {
        const ports = ((s.spec?.['ports'] as { port: number; nodePort?: number; protocol?: string }[] | undefined) ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
        const ingress = ((s.status?.['loadBalancer'] as { ingress?: { ip?: string; hostname?: string }[] } | undefined)?.ingress ?? []).map((i) => i.ip ?? i.hostname).join(',');
        return html`<tr key=${s.metadata.uid}><td>${s.metadata.namespace}</td><td><a href=${objectHref('Service', s)}>${s.metadata.name}</a></td><td>${String(s.spec?.['type'] ?? 'ClusterIP')}</td>
          <td>${String(s.spec?.['clusterIP'] ?? '')}</td><td>${ingress || '<none>'}</td><td>${ports}</td><td>${age(s.metadata.creationTimestamp)}</td></tr>`;
      })}</tbody>
    </table>
  </section>`;
}

function Events() {
  const { items, informer } = useInformer('/api/v1/events');
  const when = (e: KubeObject): string => String(e['lastTimestamp'] ?? e['eventTime'] ?? e.metadata.creationTimestamp ?? '');
  const sorted = [...items].sort((a, b) => when(b).localeCompare(when(a))).slice(0, 300);
  return html`<section aria-labelledby="ev-h">
    <h2 id="ev-h">Events <small>(live, newest first)</small></h2>
    <${Status} informer=${informer} />
    <table data-table="events">
      <thead><tr><th>Last seen</th><th>Type</th><th>Reason</th><th>Object</th><th>Message</th></tr></thead>
      <tbody>${sorted.map((e) => {
        const obj = (e['involvedObject'] as { kind?: string; name?: string } | undefined) ?? {};
        return html`<tr key=${e.metadata.uid}><td>${age(when(e))}</td><td>${String(e['type'] ?? '')}</td><td>${String(e['reason'] ?? '')}</td>
          <td>${obj.kind?.toLowerCase()}/${obj.name}</td><td>${String(e['message'] ?? '')}</td></tr>`;
      })}</tbody>
    </table>
  </section>`;
}

function Login(props: { message: string; onDone: () => void }) {
  const [token, setToken] = useState('');
  return html`<form class="login" onSubmit=${(e: Event) => {
    e.preventDefault();
    saveToken(token.trim());
    props.onDone();
  }}>
    <h2>Sign in</h2>
    <p>${props.message}</p>
    <p>Run <code>tkube dashboard</code> to open the dashboard signed in, or paste a bearer token (for example from <code>kubectl create token</code>).</p>
    <label>Token <input type="password" name="token" autocomplete="off" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Sign in</button>
  </form>`;
}

const NAV: readonly [string, string][] = [
  ['overview', 'Overview'],
  ['workloads', 'Workloads'],
  ['pods', 'Pods'],
  ['services', 'Services'],
  ['events', 'Events'],
];

function App() {
  const route = useRoute();
  const [filter, setFilter] = useState('');
  // No separate sign-in check: the views start loading at once, and the first 401 any request gets shows the form.
  const [unauthorized, setUnauthorized] = useState<string | undefined>(undefined);
  useEffect(() => onUnauthorized((message) => setUnauthorized(message)), []);
  if (unauthorized !== undefined) {
    return html`<${Login} message=${unauthorized} onDone=${() => {
      setUnauthorized(undefined);
      location.reload();
    }} />`;
  }
  const page = route.split('/')[0];
  let body;
  if (page === 'pods') body = html`<${Pods} filter=${filter} />`;
  else if (page === 'pod') body = html`<${PodDetail} podKey=${route.slice('pod/'.length)} />`;
  else if (page === 'object') body = html`<${ObjectPage} key=${route} route=${route.slice('object/'.length)} />`;
  else if (page === 'workloads') body = html`<${Workloads} filter=${filter} />`;
  else if (page === 'services') body = html`<${Services} filter=${filter} />`;
  else if (page === 'events') body = html`<${Events} />`;
  else body = html`<${Overview} />`;
  return html`<header>
      <h1>tkube</h1>
      <nav aria-label="Views">${NAV.map(([r, label]) => html`<a href=${`#/${r}`} aria-current=${page === r ? 'page' : undefined}>${label}</a>`)}</nav>
      <label class="filter">Filter <input type="search" placeholder="namespace/name" value=${filter} onInput=${(e: Event) => setFilter((e.target as HTMLInputElement).value)} /></label>
    </header>
    <main>${body}</main>`;
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(html`<${App} />`, root);
}
