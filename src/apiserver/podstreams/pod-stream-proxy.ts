/**
 * PodStreamProxy serves the streaming pod subresources — `pods/exec`, `pods/attach`, `pods/portforward` — as
 * upstream's API server does: it checks the request against the pod, dials the pod's node kubelet with the API
 * server's client certificate, forwards the client's upgrade request (translated to the kubelet's
 * `/exec/{ns}/{pod}/{container}`, `/attach/...`, `/portForward/{ns}/{pod}` paths, with the client's Upgrade,
 * Connection, Sec-WebSocket-* and X-Stream-Protocol-Version headers) and, once the kubelet answers 101, relays
 * that answer and then the raw bytes both ways. The proxy does not speak WebSocket or SPDY itself, so every
 * streaming protocol the kubelet learns works through it unchanged.
 *
 * Authorization: the chain has authorized the request's own verb (`create` for a SPDY POST, `get` for a
 * WebSocket GET). Like upstream since 1.35 (feature AuthorizePodWebsocketUpgradeCreatePermission, on by default)
 * a GET must also be allowed `create` on the subresource: opening a shell is not a read.
 *
 * Failures before the upgrade are Status answers: NotFound for a missing pod, BadRequest for a container that is
 * not in the pod, a pod without a node, or a completed pod; a kubelet's non-101 answer is relayed with its code
 * (its text as the message). After the upgrade a failing side closes the other: nothing is forwarded after.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { Duplex } from 'node:stream';
import { badRequest, forbidden, internalError, newStatus, notFound, StatusError } from '../../api/meta/status-error.js';
import type { KubeObject, Status } from '../../api/meta/types.js';
import { forbiddenMessage, type Authorizer } from '../filters/authorization.js';
import { boundConnect, kubeletEndpoint, kubeletTlsOptions, type KubeletClientConfig } from '../kubeletclient/kubelet-endpoint.js';
import type { GenericStore } from '../registry/generic-store.js';
import type { UpgradeHandler, UpgradeScope } from '../server.js';

/** PodStreamProxyConfig wires the stores, the authorizer (for the extra `create` check) and the kubelet client. */
export interface PodStreamProxyConfig {
  readonly pods: () => GenericStore | undefined;
  readonly nodes: () => GenericStore | undefined;
  readonly authorizer: Authorizer;
  /** Absent: no kubelet can be dialled, bound pods answer 503. */
  readonly kubeletClient?: KubeletClientConfig;
  /** Upgrade requests this handler does not serve (another subresource, a proxy); @default NotFound */
  readonly next?: UpgradeHandler;
}

/** Request headers forwarded to the kubelet: only what the upgrade handshake needs, never credentials. */
const FORWARDED_HEADERS = ['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'x-stream-protocol-version'];

/** How long a side may take to finish after the other ended cleanly. */
const END_GRACE_MS = 10_000;

/** KubeletPath builds the kubelet path for one subresource from the pod and the client's query. */
type KubeletPath = (pod: KubeObject, q: URLSearchParams) => string;

const enc = encodeURIComponent;

function containerNames(pod: KubeObject): { main: string[]; all: string[] } {
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const names = (field: string): string[] => {
    const list = spec[field];
    return Array.isArray(list) ? list.map((c) => String((c as { name?: unknown }).name ?? '')) : [];
  };
  const main = names('containers');
  return { main, all: [...main, ...names('initContainers'), ...names('ephemeralContainers')] };
}

/** container picks the container the way upstream does (the only one, else the default-container annotation). */
function container(pod: KubeObject, q: URLSearchParams): string {
  const name = pod.metadata?.name ?? '';
  const { main, all } = containerNames(pod);
  const asked = q.get('container') ?? '';
  if (asked !== '') {
    if (!all.includes(asked)) throw badRequest(`container ${asked} is not valid for pod ${name}`);
    return asked;
  }
  const annotated = pod.metadata?.annotations?.['kubectl.kubernetes.io/default-container'];
  if (main.length === 1) return main[0] ?? '';
  if (annotated && main.includes(annotated)) return annotated;
  throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
}

function streamQuery(q: URLSearchParams, withCommand: boolean): string {
  const out = new URLSearchParams();
  if (withCommand) {
    const command = q.getAll('command');
    if (command.length === 0) throw badRequest('you must specify at least 1 command');
    for (const c of command) out.append('command', c);
  }
  // The kubelet is told `1` for each stream asked for, whatever spelling the client used (python sends `True`).
  for (const flag of ['stdin', 'stdout', 'stderr', 'tty']) if (queryFlag(q, flag)) out.set(flag, '1');
  if (!['stdin', 'stdout', 'stderr'].some((f) => queryFlag(q, f))) throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return out.toString();
}

/**
 * queryFlag reads a boolean exec/attach option as upstream's query decoding does: absent is false, `0` and
 * `false` (any case) are false, any other value — `true`, `True`, `1`, even empty — is true.
 */
export function queryFlag(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * The dispatch table: subresource → kubelet path. Port-forward passes its query through (`ports=` of the legacy
 * WebSocket protocol); which protocols the kubelet speaks is the kubelet's business.
 */
const KUBELET_PATHS: Readonly<Record<string, KubeletPath>> = {
  exec: (pod, q) => `/exec/${enc(pod.metadata?.namespace ?? '')}/${enc(pod.metadata?.name ?? '')}/${enc(container(pod, q))}?${streamQuery(q, true)}`,
  attach: (pod, q) => `/attach/${enc(pod.metadata?.namespace ?? '')}/${enc(pod.metadata?.name ?? '')}/${enc(container(pod, q))}?${streamQuery(q, false)}`,
  portforward: (pod, q) => `/portForward/${enc(pod.metadata?.namespace ?? '')}/${enc(pod.metadata?.name ?? '')}${q.toString() ? `?${q.toString()}` : ''}`,
};

/** statusFromKubelet turns a kubelet's non-101 answer into the Status relayed to the client. */
export function statusFromKubelet(code: number, body: string, nodeName: string): StatusError {
  try {
    const parsed = JSON.parse(body) as Partial<Status>;
    if (parsed.kind === 'Status' && typeof parsed.code === 'number') return new StatusError(parsed as Status);
  } catch {
    // Plain text: the usual kubelet answer.
  }
  const text = body.trim() || `the kubelet on node "${nodeName}" answered ${code}`;
  if (code === 400) return badRequest(text);
  if (code === 403) return forbidden(text);
  if (code === 404) return new StatusError(newStatus(404, 'NotFound', text));
  if (code === 501) return new StatusError(newStatus(501, '', text));
  if (code === 503) return new StatusError(newStatus(503, 'ServiceUnavailable', text));
  return internalError(`kubelet on node "${nodeName}": ${text}`);
}

/** PodStreamProxy implements UpgradeHandler; see the file comment. */
export class PodStreamProxy implements UpgradeHandler {
  readonly #c: PodStreamProxyConfig;

  constructor(config: PodStreamProxyConfig) {
    this.#c = config;
  }

  async handleUpgrade(scope: UpgradeScope): Promise<void> {
    const { info, url } = scope;
    const path = info.apiGroup === '' && info.resource === 'pods' && info.name !== '' ? KUBELET_PATHS[info.subresource] : undefined;
    if (!path) {
      if (this.#c.next) return this.#c.next.handleUpgrade(scope);
      throw new StatusError(newStatus(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (info.verb !== 'create') {
      const createInfo = { ...info, verb: 'create' };
      const decision = await this.#c.authorizer.authorize(scope.user, createInfo);
      if (!decision.allowed) throw forbidden(forbiddenMessage(scope.user, createInfo, decision.reason));
    }
    const store = this.#c.pods();
    if (!store) throw notFound({ group: '', resource: 'pods' }, info.name);
    const pod = await store.get(info.namespace, info.name);
    const kubeletPath = path(pod, url.searchParams);
    const phase = (pod['status'] as { phase?: string } | undefined)?.phase;
    if (info.subresource !== 'portforward' && (phase === 'Succeeded' || phase === 'Failed')) {
      throw badRequest(`cannot ${info.subresource === 'exec' ? 'exec into' : 'attach to'} a container in a completed pod; current phase is ${phase}`);
    }
    if (!(pod['spec'] as { nodeName?: string } | undefined)?.nodeName) throw badRequest(`pod ${info.name} does not have a host assigned`);
    const client = this.#c.kubeletClient;
    if (!client) throw new StatusError(newStatus(503, 'ServiceUnavailable', `no kubelet client is configured; cannot stream ${info.subresource} of pod "${info.name}"`));
    const endpoint = await kubeletEndpoint(this.#c.nodes(), pod, `its pods cannot ${info.subresource === 'portforward' ? 'forward ports' : info.subresource}`);
    const backend = await this.#dial(endpoint, kubeletPath, scope);
    this.#splice(scope, backend);
  }

  /** #dial sends the upgrade request and resolves with the kubelet's 101 (headers, socket, early bytes). */
  #dial(endpoint: Awaited<ReturnType<typeof kubeletEndpoint>>, path: string, scope: UpgradeScope): Promise<{ statusMessage: string; rawHeaders: string[]; socket: Duplex; head: Buffer }> {
    const client = this.#c.kubeletClient as KubeletClientConfig;
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const v = (scope.req.headers as IncomingHttpHeaders)[name];
      if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
    }
    return new Promise((resolve, reject) => {
      const req = request(`https://${endpoint.host}:${endpoint.port}${path}`, { ...kubeletTlsOptions(client), method: scope.req.method ?? 'GET', headers, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d.length + text.length <= 64 * 1024 ? d : ''));
        res.on('end', () => reject(statusFromKubelet(res.statusCode ?? 500, text, endpoint.nodeName)));
        res.on('error', () => reject(statusFromKubelet(res.statusCode ?? 500, text, endpoint.nodeName)));
      });
      req.on('upgrade', (res, socket, head) => resolve({ statusMessage: res.statusMessage ?? 'Switching Protocols', rawHeaders: res.rawHeaders, socket, head }));
      req.on('error', (err) => reject(internalError(`error dialing backend: ${err.message}`)));
      req.on('socket', (socket) => boundConnect(socket, endpoint, (err) => req.destroy(err)));
      const abort = (): void => void req.destroy(new Error('the client went away'));
      scope.signal.addEventListener('abort', abort, { once: true });
      req.once('close', () => scope.signal.removeEventListener('abort', abort));
      req.end();
    });
  }

  /** #splice relays the kubelet's 101 to the client and then pipes the two sockets until either ends. */
  #splice(scope: UpgradeScope, backend: { statusMessage: string; rawHeaders: string[]; socket: Duplex; head: Buffer }): void {
    const client = scope.socket;
    const kubelet = backend.socket;
    if (client.destroyed || !client.writable) {
      kubelet.destroy();
      return;
    }
    const lines = [`HTTP/1.1 101 ${backend.statusMessage}`];
    for (let i = 0; i + 1 < backend.rawHeaders.length; i += 2) lines.push(`${backend.rawHeaders[i] ?? ''}: ${backend.rawHeaders[i + 1] ?? ''}`);
    client.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (backend.head.length > 0) client.write(backend.head);
    if (scope.head.length > 0) kubelet.write(scope.head);
    let failed = false;
    // A side that fails takes the other down at once: no byte is forwarded after a failure.
    const fail = (): void => {
      if (failed) return;
      failed = true;
      kubelet.unpipe(client);
      client.unpipe(kubelet);
      kubelet.destroy();
      client.destroy();
    };
    kubelet.on('error', fail);
    client.on('error', fail);
    // A clean end is passed on as an end, after the bytes already relayed (destroying would drop them); a peer
    // that never finishes its side is cut off after END_GRACE_MS.
    const finish = (other: Duplex): void => {
      if (failed || other.destroyed) return;
      other.end();
      setTimeout(() => other.destroy(), END_GRACE_MS).unref();
    };
    kubelet.on('end', () => finish(client));
    kubelet.on('close', () => finish(client));
    client.on('end', () => finish(kubelet));
    client.on('close', () => kubelet.destroy());
    scope.signal.addEventListener('abort', fail, { once: true });
    kubelet.pipe(client, { end: false });
    client.pipe(kubelet, { end: false });
  }
}
