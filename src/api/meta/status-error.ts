/**
 * StatusError carries a Kubernetes Status across layers. The registry and handlers throw it (or return it as a
 * value); the HTTP layer writes `status` as the body with `status.code` as the HTTP code. Nothing below the
 * registry throws it: storage errors are translated into it at the registry boundary.
 */
import type { Status, StatusCause, StatusReason } from './types.js';

/** GroupResource names a resource for messages, e.g. {group:'apps', resource:'deployments'}. */
export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

/** StatusError is an Error whose payload is a Status to send to the client. */
export class StatusError extends Error {
  constructor(readonly status: Status) {
    super(status.message ?? status.reason ?? 'error');
    this.name = 'StatusError';
  }
}

function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** newStatus builds a Failure Status. */
export function newStatus(code: number, reason: StatusReason, message: string, details?: Status['details']): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  if (details) s.details = details;
  return s;
}

/** notFound: `pods "x" not found` (404). */
export function notFound(gr: GroupResource, name: string): StatusError {
  return new StatusError(newStatus(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group || undefined, kind: gr.resource }));
}

/** alreadyExists: `pods "x" already exists` (409). */
export function alreadyExists(gr: GroupResource, name: string): StatusError {
  return new StatusError(newStatus(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group || undefined, kind: gr.resource }));
}

/** conflict: `Operation cannot be fulfilled on pods "x": <why>` (409). */
export function conflict(gr: GroupResource, name: string, why: string): StatusError {
  return new StatusError(
    newStatus(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, { name, group: gr.group || undefined, kind: gr.resource }),
  );
}

/** invalid: `Pod "x" is invalid: [spec.containers: Required value, ...]` (422). */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : (c.message ?? '')));
  const joined = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new StatusError(
    newStatus(422, 'Invalid', `${kind}${group ? '.' + group : ''} "${name}" is invalid: ${joined}`, { name, group: group || undefined, kind, causes }),
  );
}

/** badRequest (400). */
export function badRequest(message: string, causes?: StatusCause[]): StatusError {
  return new StatusError(newStatus(400, 'BadRequest', message, causes ? { causes } : undefined));
}

/** methodNotAllowed (405). */
export function methodNotAllowed(message: string): StatusError {
  return new StatusError(newStatus(405, 'MethodNotAllowed', message));
}

/** gone: a compacted resourceVersion or expired continue token (410 Expired). */
export function expired(message: string): StatusError {
  return new StatusError(newStatus(410, 'Expired', message));
}

/** internalError (500): the message says what failed, never a stack. */
export function internalError(message: string): StatusError {
  return new StatusError(newStatus(500, 'InternalError', `Internal error occurred: ${message}`));
}

/** unsupportedMediaType (415). */
export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(newStatus(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got "${contentType}")`));
}

/** tooLarge (413). */
export function requestEntityTooLarge(limitBytes: number): StatusError {
  return new StatusError(newStatus(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`));
}

/** tooManyRequests (429) with a retry hint. */
export function tooManyRequests(message: string, retryAfterSeconds: number): StatusError {
  return new StatusError(newStatus(429, 'TooManyRequests', message, { retryAfterSeconds }));
}

/** unauthorized (401). */
export function unauthorized(detail?: string): StatusError {
  return new StatusError(newStatus(401, 'Unauthorized', detail ? `Unauthorized: ${detail}` : 'Unauthorized'));
}

/** forbidden (403): `pods "x" is forbidden: User "u" cannot get resource ...`. */
export function forbidden(message: string): StatusError {
  return new StatusError(newStatus(403, 'Forbidden', message));
}
