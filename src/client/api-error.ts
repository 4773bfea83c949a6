/**
 * ApiError: every failed API call surfaces as one of these, carrying the server's Status (code, reason, message),
 * so callers branch on `code`/`reason` instead of parsing HTTP. Transport failures (connection refused, reset,
 * TLS) become an ApiError with code 0 and the underlying error as `cause`.
 */
import type { Status, StatusReason } from '../api/meta/types.js';

/** ApiError is a failed API request. */
export class ApiError extends Error {
  /** The Status the server answered (or one synthesised for a non-Status answer or a transport failure). */
  readonly status: Status;

  constructor(status: Status, options?: { cause?: unknown }) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`, options);
    this.name = 'ApiError';
    this.status = status;
  }

  /** code is the HTTP status code; 0 when the request never got an answer. */
  get code(): number {
    return this.status.code;
  }

  /** reason is the machine-readable reason ("NotFound", "Conflict", "Expired", …), or "" when unknown. */
  get reason(): StatusReason {
    return this.status.reason ?? '';
  }
}

/**
 * asApiError narrows `err` to an ApiError by shape as well as by class: an operator module loaded into the server
 * (src/boot/operator-host.ts) has its own copy of this module, so the server's client throws ApiErrors that are
 * not `instanceof` the operator's class.
 */
function asApiError(err: unknown): { readonly code: number; readonly reason: StatusReason } | undefined {
  if (err instanceof ApiError) return err;
  if (!(err instanceof Error) || err.name !== 'ApiError') return undefined;
  const status = (err as { status?: unknown }).status as Partial<Status> | undefined;
  return typeof status?.code === 'number' ? { code: status.code, reason: status.reason ?? '' } : undefined;
}

/** isNotFound tells whether `err` is a 404 ApiError. */
export function isNotFound(err: unknown): boolean {
  return asApiError(err)?.code === 404;
}

/** isConflict tells whether `err` is a 409 ApiError other than AlreadyExists (an optimistic-lock failure). */
export function isConflict(err: unknown): boolean {
  const e = asApiError(err);
  return e?.code === 409 && e.reason !== 'AlreadyExists';
}

/** isAlreadyExists tells whether `err` is a 409 AlreadyExists ApiError. */
export function isAlreadyExists(err: unknown): boolean {
  const e = asApiError(err);
  return e?.code === 409 && e.reason === 'AlreadyExists';
}

/** isExpired tells whether `err` is a 410 (a resourceVersion too old to list or watch from). */
export function isExpired(err: unknown): boolean {
  return asApiError(err)?.code === 410;
}

/** REASON_BY_CODE guesses a reason for answers that are not a Status (proxies, plain-text errors). */
const REASON_BY_CODE: Readonly<Record<number, StatusReason>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** statusFromResponse reads a failed response body as a Status, synthesising one when it is not. */
export function statusFromResponse(code: number, body: string): Status {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && (parsed as { kind?: unknown }).kind === 'Status') {
      const s = parsed as Status;
      return { ...s, code: typeof s.code === 'number' && s.code !== 0 ? s.code : code };
    }
  } catch {
    // Not JSON: fall through and describe the answer as it is.
  }
  const text = body.trim().slice(0, 500);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    code,
    reason: REASON_BY_CODE[code] ?? '',
    message: text === '' ? `the server answered HTTP ${code}` : text,
  };
}

/** transportError wraps a failure to reach the server. */
export function transportError(action: string, err: unknown): ApiError {
  const why = err instanceof Error ? err.message : String(err);
  return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 0, reason: '', message: `Cannot ${action}: ${why}` }, { cause: err });
}
