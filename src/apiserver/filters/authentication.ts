/**
 * Authentication: who is making a request. The chain asks each Authenticator in order; the first that returns a
 * user wins. A request no authenticator recognises is anonymous: it is answered 401, except on the public
 * health and version paths (see PUBLIC_INFO_PATHS in authorization.ts). Credentials are never logged.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { UserInfo } from '../request/request-info.js';

/** Authenticator recognises one kind of credential. */
export interface Authenticator {
  /**
   * Returns the user the request's credentials prove, or undefined when this authenticator does not recognise
   * them (absent, or invalid). Never throws for bad credentials.
   */
  authenticate(req: IncomingMessage): UserInfo | undefined | Promise<UserInfo | undefined>;
  /**
   * Optional: when no authenticator recognised the request, why this one refused credentials it knows, worded for
   * the 401 message. Only for reasons that tell the holder of a credential nothing they could not learn without
   * it (a bootstrap token whose secret matched but which expired); never for a wrong or unknown credential.
   */
  explainRejection?(req: IncomingMessage): Promise<string | undefined>;
}

/** ANONYMOUS_USER is the identity of a request without recognised credentials. */
export const ANONYMOUS_USER: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** AUTHENTICATED_GROUP is added to every authenticated user, as upstream does. */
export const AUTHENTICATED_GROUP = 'system:authenticated';

function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * ClientCertAuthenticator accepts TLS client certificates verified against the server's client CA: the subject
 * CN is the username and each subject O is a group. The TLS server must request certificates and be given the
 * client CA (`ca`); `socket.authorized` is then true only for a chain to that CA that is valid now. Certificates
 * signed by anyone else, expired, or without a CN are not recognised.
 */
export class ClientCertAuthenticator implements Authenticator {
  // A connection's peer certificate never changes, so its user is worked out once per TLS socket: reading the
  // certificate on every request costs several percent of the server's CPU under load.
  readonly #bySocket = new WeakMap<object, UserInfo | null>();

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as Partial<TLSSocket>;
    if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return undefined;
    const known = this.#bySocket.get(socket);
    if (known !== undefined) return known ?? undefined;
    const cert = socket.getPeerCertificate();
    const subject = cert.subject as Record<string, string | string[] | undefined> | undefined;
    const cn = subject ? asList(subject['CN'])[0] : undefined;
    const user = subject && cn ? { username: cn, groups: asList(subject['O']) } : undefined;
    this.#bySocket.set(socket, user ?? null);
    return user;
  }
}

/** Bearer extracts the token of an `Authorization: Bearer <token>` header (scheme case-insensitive). */
function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * TokenAuthenticator accepts bearer tokens from a static table (tests, and the `--token-auth-file` CSV format:
 * `token,user,uid[,"group1,group2"]`).
 */
export class TokenAuthenticator implements Authenticator {
  readonly #tokens: ReadonlyMap<string, UserInfo>;

  constructor(tokens: ReadonlyMap<string, UserInfo> | Readonly<Record<string, UserInfo>>) {
    this.#tokens = tokens instanceof Map ? new Map(tokens) : new Map(Object.entries(tokens));
  }

  /**
   * fromCsv parses upstream's static token file: one `token,user,uid[,groups]` per line, groups a quoted
   * comma-separated list; blank lines and lines starting with `#` are skipped. Throws on a line with fewer than
   * three fields or an empty token or user.
   */
  static fromCsv(text: string): TokenAuthenticator {
    return new TokenAuthenticator(parseTokenAuthFile(text));
  }

  /** authenticateToken looks up one token (also used by TokenReview). */
  authenticateToken(token: string): UserInfo | undefined {
    return this.#tokens.get(token);
  }

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const token = bearerToken(req);
    if (token === undefined) return undefined;
    return this.authenticateToken(token);
  }
}

/**
 * parseTokenAuthFile parses upstream's static token file (`--token-auth-file`): one `token,user,uid[,groups]` per
 * line, groups a quoted comma-separated list; blank lines and lines starting with `#` are skipped. Throws on a line
 * with fewer than three fields or an empty token or user; error messages name the line, never the token.
 */
export function parseTokenAuthFile(text: string): Map<string, UserInfo> {
  const tokens = new Map<string, UserInfo>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const fields = [...line.matchAll(/"([^"]*)"|([^,]*)/g)]
      .filter((m) => m.index === 0 || line[m.index - 1] === ',')
      .map((m) => (m[1] ?? m[2] ?? '').trim());
    const [token, username, uid, groups] = fields;
    if (!token || !username || uid === undefined) throw new Error(`Cannot parse token file: line ${i + 1} needs token,user,uid`);
    const user: UserInfo = { username, uid, groups: groups ? groups.split(',').map((g) => g.trim()).filter((g) => g !== '') : [] };
    tokens.set(token, user);
  });
  return tokens;
}

/**
 * authenticateRequest runs `authenticators` in order and returns the first user found, with
 * `system:authenticated` added to its groups, or undefined when none recognises the request. An authenticator
 * that throws is treated as not recognising the request (its error goes to `onError`).
 */
export async function authenticateRequest(
  authenticators: readonly Authenticator[],
  req: IncomingMessage,
  onError: (err: unknown) => void,
): Promise<UserInfo | undefined> {
  for (const a of authenticators) {
    let user: UserInfo | undefined;
    try {
      user = await a.authenticate(req);
    } catch (err) {
      onError(err);
      continue;
    }
    if (user) {
      return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
    }
  }
  return undefined;
}

/** rejectionReason asks the authenticators that can explain a refusal; the first reason wins. */
export async function rejectionReason(authenticators: readonly Authenticator[], req: IncomingMessage): Promise<string | undefined> {
  for (const a of authenticators) {
    const why = await a.explainRejection?.(req).catch(() => undefined);
    if (why) return why;
  }
  return undefined;
}
