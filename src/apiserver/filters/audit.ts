/**
 * Audit filter: records each request the policy selects as audit.k8s.io/v1 Events — RequestReceived once the
 * user is known, ResponseStarted when a long-running request (watch, exec) sends its headers, ResponseComplete when
 * it ends — at the policy's level: Metadata (who, what, outcome), Request (+ the request body) or RequestResponse
 * (+ the response body). Headers are never recorded, so bearer tokens and client credentials never reach the log;
 * bodies are recorded only at the levels that ask for them (the default policy keeps secrets at Metadata).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuditEvent, AuditObjectRef, AuditResponseStatus, AuditUser } from '../audit/audit-event.js';
import { microTime } from '../audit/audit-event.js';
import type { AuditDecision, AuditPolicy, AuditStage } from '../audit/audit-policy.js';
import type { RequestInfo, UserInfo } from '../request/request-info.js';

/** Draft is an object being filled in: every field optional and writable. */
type Draft<T> = { -readonly [K in keyof T]?: T[K] };

/** MAX_CAPTURED_BYTES bounds the response bytes kept for a RequestResponse event or a failure's Status. */
const MAX_CAPTURED_BYTES = 3 * 1024 * 1024;
const MAX_FAILURE_BYTES = 64 * 1024;

/** AuditorConfig wires a policy to a sink. */
export interface AuditorConfig {
  readonly policy: AuditPolicy;
  /** Receives each event (AuditLogWriter.write); must not throw. */
  readonly sink: (event: AuditEvent) => void;
  /** Decodes a request body (JSON, YAML, protobuf) for Request-level events; undecodable bodies are left out. */
  readonly decodeBody?: (contentType: string | undefined, body: Buffer) => unknown;
  /** @default Date.now */
  readonly now?: () => number;
}

/** AuditBegin is what the chain knows about a request once it is authenticated (or has failed to). */
export interface AuditBegin {
  readonly req: IncomingMessage;
  /** The response, for capturing its body and its start; absent for connection upgrades. */
  readonly res?: ServerResponse;
  readonly auditId: string;
  readonly info: RequestInfo;
  /** Undefined when authentication failed. */
  readonly user?: UserInfo;
  /** Long-running requests (watch, exec…) get a ResponseStarted event. */
  readonly longRunning: boolean;
}

/** AuditRecord follows one audited request to its end. */
export interface AuditRecord {
  /** complete writes ResponseComplete with the response's code. Idempotent. */
  complete(code: number): void;
  /** impersonated records the identity the request acts as (kubectl --as); `user` stays the requestor. */
  impersonated(user: UserInfo): void;
  /** annotate adds `key: value` to the events written from now on (admission plugins' audit annotations). */
  annotate(key: string, value: string): void;
}

function sourceIps(req: IncomingMessage): string[] {
  const ips: string[] = [];
  const forwarded = req.headers['x-forwarded-for'];
  const list = Array.isArray(forwarded) ? forwarded.join(',') : forwarded;
  for (const ip of (list ?? '').split(',')) if (ip.trim() !== '') ips.push(ip.trim());
  const remote = req.socket.remoteAddress?.replace(/^::ffff:/, '');
  if (remote && !ips.includes(remote)) ips.push(remote);
  return ips;
}

/** auditUser is UserInfo as an audit event records it (uid and extra only when set). */
function auditUser(user: UserInfo): AuditUser {
  return { username: user.username, ...(user.uid ? { uid: user.uid } : {}), groups: user.groups, ...(user.extra && Object.keys(user.extra).length > 0 ? { extra: user.extra } : {}) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Auditor creates the audit record of each request. */
export class Auditor {
  readonly #c: AuditorConfig;
  readonly #records = new WeakMap<IncomingMessage, AuditRequest>();

  constructor(config: AuditorConfig) {
    this.#c = config;
  }

  /** begin starts auditing a request; returns undefined when the policy's level for it is None. */
  begin(b: AuditBegin): AuditRecord | undefined {
    const { info } = b;
    const decision = this.#c.policy.evaluate({
      user: b.user,
      verb: info.verb,
      isResourceRequest: info.isResourceRequest,
      path: info.path,
      apiGroup: info.apiGroup,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
    });
    if (decision.level === 'None') return undefined;
    const record = new AuditRequest(b, decision, this.#c);
    this.#records.set(b.req, record);
    return record;
  }

  /** recordRequestBody gives an audited request its body (kept only at Request level and above). */
  recordRequestBody(req: IncomingMessage, body: Buffer): void {
    this.#records.get(req)?.requestBody(body);
  }
}

/**
 * RequestFacts are what an audit event says of its request, read once when the record begins. The record keeps these
 * and not the request and response objects: a record can be reachable for longer than its request (for instance from
 * a closure that outlives it), and one that held `req` and `res` kept each request's whole object graph (headers,
 * parser state, the response) alive through young-generation collections, which doubled what every scavenge copied
 * under a flood of requests (docs/reliability.md, "Overload and fairness").
 */
interface RequestFacts {
  readonly auditId: string;
  readonly requestURI: string;
  readonly verb: string;
  readonly user: AuditUser | undefined;
  readonly sourceIPs: string[];
  readonly userAgent: string | undefined;
  readonly objectRef: AuditObjectRef | undefined;
  readonly contentType: string | undefined;
  readonly longRunning: boolean;
}

function requestFacts(b: AuditBegin): RequestFacts {
  const { req, info } = b;
  let objectRef: Draft<AuditObjectRef> | undefined;
  if (info.isResourceRequest) {
    objectRef = { resource: info.resource };
    if (info.namespace) objectRef.namespace = info.namespace;
    if (info.name) objectRef.name = info.name;
    if (info.apiGroup) objectRef.apiGroup = info.apiGroup;
    objectRef.apiVersion = info.apiVersion;
    if (info.subresource) objectRef.subresource = info.subresource;
  }
  const contentType = req.headers['content-type'];
  return {
    auditId: b.auditId,
    requestURI: req.url ?? '',
    verb: info.verb,
    user: b.user ? auditUser(b.user) : undefined,
    sourceIPs: sourceIps(req),
    userAgent: req.headers['user-agent'],
    objectRef: objectRef as AuditObjectRef | undefined,
    contentType: typeof contentType === 'string' ? contentType : undefined,
    longRunning: b.longRunning,
  };
}

/** AuditRequest is the record of one audited request. */
class AuditRequest implements AuditRecord {
  readonly #facts: RequestFacts;
  readonly #decision: AuditDecision;
  readonly #c: AuditorConfig;
  readonly #received: number;
  #requestObject: unknown;
  readonly #chunks: Buffer[] = [];
  #captured = 0;
  /** The response's content type, read when its body is captured (to decode a failure's Status). */
  #responseContentType: string | undefined;
  #done = false;
  #impersonated: UserInfo | undefined;
  readonly #annotations: Record<string, string> = {};

  constructor(b: AuditBegin, decision: AuditDecision, config: AuditorConfig) {
    this.#facts = requestFacts(b);
    this.#decision = decision;
    this.#c = config;
    this.#received = (config.now ?? Date.now)();
    this.#emit('RequestReceived');
    if (b.res) this.#watch(b.res);
  }

  #watch(res: ServerResponse): void {
    if (this.#facts.longRunning) {
      // Node sends implicit headers through writeHead too, so this sees every response start.
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
      (res as { writeHead: (...args: unknown[]) => ServerResponse }).writeHead = (...args: unknown[]) => {
        const out = writeHead(...args);
        this.#emit('ResponseStarted', res.statusCode);
        return out;
      };
      return;
    }
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    const wantsBody = this.#decision.level === 'RequestResponse';
    const capture = (chunk: unknown): void => {
      // Below RequestResponse only a failure's Status is read, so successful bodies are not kept.
      if (!wantsBody && res.statusCode < 400) return;
      if (this.#captured > MAX_CAPTURED_BYTES || (typeof chunk !== 'string' && !(chunk instanceof Uint8Array))) return;
      if (this.#captured === 0) {
        const type = res.getHeader('content-type');
        this.#responseContentType = typeof type === 'string' ? type : undefined;
      }
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      this.#captured += buf.length;
      if (this.#captured <= MAX_CAPTURED_BYTES) this.#chunks.push(buf);
    };
    (res as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
      capture(args[0]);
      return write(...args);
    };
    (res as { end: (...args: unknown[]) => ServerResponse }).end = (...args: unknown[]) => {
      if (typeof args[0] !== 'function') capture(args[0]);
      return end(...args);
    };
  }

  requestBody(body: Buffer): void {
    if (this.#decision.level !== 'Request' && this.#decision.level !== 'RequestResponse') return;
    if (body.length === 0) return;
    try {
      const ct = this.#facts.contentType;
      this.#requestObject = this.#c.decodeBody ? this.#c.decodeBody(ct, body) : parseJson(body.toString('utf8'));
    } catch {
      this.#requestObject = undefined;
    }
  }

  impersonated(user: UserInfo): void {
    this.#impersonated = user;
  }

  annotate(key: string, value: string): void {
    this.#annotations[key] = value;
  }

  complete(code: number): void {
    if (this.#done) return;
    this.#done = true;
    this.#emit('ResponseComplete', code);
  }

  #responseBody(): unknown {
    if (this.#captured === 0 || this.#captured > MAX_CAPTURED_BYTES) return undefined;
    const type = this.#responseContentType;
    if (type === undefined || !type.includes('json')) return undefined;
    return parseJson(Buffer.concat(this.#chunks).toString('utf8'));
  }

  #status(code: number): AuditResponseStatus {
    if (code < 400 || this.#captured > MAX_FAILURE_BYTES) return { metadata: {}, code };
    const body = this.#responseBody() as { kind?: unknown; status?: unknown; reason?: unknown; message?: unknown } | undefined;
    if (body?.kind !== 'Status') return { metadata: {}, code };
    return {
      metadata: {},
      code,
      ...(typeof body.status === 'string' ? { status: body.status } : {}),
      ...(typeof body.reason === 'string' && body.reason !== '' ? { reason: body.reason } : {}),
      ...(typeof body.message === 'string' ? { message: body.message } : {}),
    };
  }

  #emit(stage: AuditStage, code?: number): void {
    if (this.#decision.omitStages.includes(stage)) return;
    const f = this.#facts;
    const level = this.#decision.level;
    const responseObject = stage === 'ResponseComplete' && level === 'RequestResponse' ? this.#responseBody() : undefined;
    // Built field by field, in the order the log shows them, rather than from spreads of optional parts: every
    // request emits two of these.
    const event: Draft<AuditEvent> = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level,
      auditID: f.auditId,
      stage,
      requestURI: f.requestURI,
      verb: f.verb,
      user: f.user ?? {},
    };
    if (this.#impersonated) event.impersonatedUser = auditUser(this.#impersonated);
    event.sourceIPs = f.sourceIPs;
    if (f.userAgent) event.userAgent = f.userAgent;
    if (f.objectRef) event.objectRef = f.objectRef;
    if (code !== undefined) event.responseStatus = this.#status(code);
    if (stage !== 'RequestReceived' && this.#requestObject !== undefined) event.requestObject = this.#requestObject;
    if (responseObject !== undefined) event.responseObject = responseObject;
    event.requestReceivedTimestamp = microTime(this.#received);
    event.stageTimestamp = microTime((this.#c.now ?? Date.now)());
    if (Object.keys(this.#annotations).length > 0) event.annotations = { ...this.#annotations };
    // Every required field is set above.
    this.#c.sink(event as AuditEvent);
  }
}
