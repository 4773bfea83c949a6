/**
 * The dashboard's API client: same-origin requests to the API server that served the page (directly, with a bearer
 * token the user pasted, or through `tkube dashboard`'s local proxy, which adds the credentials itself). Watches
 * are read as they stream: one JSON event per line.
 */

const TOKEN_KEY = 'tkube-dashboard-token';

/** ApiError carries the Status the server answered. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** KubeObject is the part of every object the dashboard reads. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; controller?: boolean }[];
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

/** WatchEvent is one line of a watch stream. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string };
}

export function savedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function saveToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = savedToken();
  // X-Tkube-Proxy: the local proxy lends its credentials to state-changing requests only with it (no effect on the server).
  return { Accept: 'application/json', 'X-Tkube-Proxy': '1', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

/** Told when the server answers 401 (no or a bad token): the app then asks for one. */
let unauthorizedListener: ((message: string) => void) | undefined;

export function onUnauthorized(listener: (message: string) => void): void {
  unauthorizedListener = listener;
}

async function failure(res: Response): Promise<ApiError> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const s = (await res.json()) as { message?: string };
    if (s.message) message = s.message;
  } catch {
    // not a Status: keep the status line
  }
  if (res.status === 401) unauthorizedListener?.(message);
  return new ApiError(res.status, message);
}

/** getJson reads one document; a non-2xx answer throws ApiError with the server's message. */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, { headers: headers(), ...(signal ? { signal } : {}) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** send writes (POST/PUT/PATCH/DELETE) a JSON body. */
export async function send<T>(method: string, path: string, body: unknown, contentType = 'application/json'): Promise<T> {
  const res = await fetch(path, { method, headers: headers({ 'Content-Type': contentType }), body: JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/**
 * watch streams events from `path` (a collection URL) after `resourceVersion` over a WebSocket (browsers allow only
 * six HTTP/1.1 connections per host, and a chunked watch holds one for its whole life), calling `onEvent` for each,
 * until the server ends the stream (its timeout) or `signal` aborts. A 410 arrives as an ERROR event. The bearer
 * token, when there is one, travels as the `base64url.bearer.authorization.k8s.io.` subprotocol (a browser cannot set
 * headers on a WebSocket).
 */
export function watch(path: string, resourceVersion: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> {
  const sep = path.includes('?') ? '&' : '?';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${location.host}${path}${sep}watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`;
  const token = savedToken();
  const protocols = ['watch.json', ...(token ? [`base64url.bearer.authorization.k8s.io.${base64url(token)}`] : [])];
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    let opened = false;
    const onAbort = (): void => ws.close();
    signal.addEventListener('abort', onAbort, { once: true });
    ws.onopen = () => (opened = true);
    ws.onmessage = (m: MessageEvent<string>) => onEvent(JSON.parse(m.data) as WatchEvent);
    ws.onclose = () => {
      signal.removeEventListener('abort', onAbort);
      if (opened || signal.aborted) resolve();
      else reject(new ApiError(0, `cannot watch ${path}`));
    };
  });
}

function base64url(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
