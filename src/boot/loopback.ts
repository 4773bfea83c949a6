/**
 * The in-process loopback: how the server's own components (controllers, scheduler, informers, the embedded
 * kubelet, DNS, Ingress…) reach its API. They stay API clients going through the whole handler chain
 * (authentication, authorization, admission, audit), but over plain HTTP on a Unix socket in the data dir (mode
 * 0600) instead of TLS on the loopback address: no handshakes, no record encryption on both ends of every call in
 * one process. They authenticate with a token made at boot, held only in memory, that names the same user the
 * admin client certificate names (so RBAC decisions and audit users are unchanged), and that counts only on that
 * socket (LoopbackAuthenticator).
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { newLoopbackToken } from '../apiserver/filters/loopback-authentication.js';
import type { UserInfo } from '../apiserver/request/request-info.js';

/** Linux's sun_path holds 108 bytes with the terminating NUL; a longer data dir path cannot hold the socket. */
const MAX_SOCKET_PATH_BYTES = 107;

/** Loopback is the socket and the one token of this boot. */
export interface Loopback {
  readonly socketPath: string;
  readonly token: string;
  readonly user: UserInfo;
}

/**
 * planLoopback names the socket `<data-dir>/loopback.sock` and makes this boot's token for the user of
 * `clientCertPem` (CN the user, each O a group, as ClientCertAuthenticator reads it). Returns undefined when the
 * data dir's path is too long for a Unix socket: the components then use HTTPS, as before.
 */
export function planLoopback(dataDir: string, clientCertPem: string): Loopback | undefined {
  const socketPath = join(dataDir, 'loopback.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) return undefined;
  return { socketPath, token: newLoopbackToken(), user: subjectUser(clientCertPem) };
}

/** subjectUser reads a certificate's subject the way ClientCertAuthenticator does. */
function subjectUser(certPem: string): UserInfo {
  const fields = new X509Certificate(certPem).subject.split('\n').map((line) => {
    const eq = line.indexOf('=');
    return [line.slice(0, eq), line.slice(eq + 1)] as const;
  });
  const username = fields.find(([k]) => k === 'CN')?.[1];
  if (!username) throw new Error('Cannot plan the loopback identity: the admin certificate has no CN');
  return { username, groups: fields.filter(([k]) => k === 'O').map(([, v]) => v) };
}
