/**
 * sharedSecureContext: one TLS SecureContext per set of credentials (CA bundle, client certificate and key) in the
 * process. An https Agent given `ca`/`cert`/`key` builds a new SecureContext for every connection it opens, which
 * parses the PEMs and the private key again each time; a server's dozen component clients open a hundred
 * connections at start (informers, watches), and that parsing was a tenth of the start's CPU. A context holds no
 * per-connection state, so sharing one is what Node does for a server's connections too.
 */
import { createHash } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';

/** The credentials a client connection presents and checks against. */
export interface ClientTlsCredentials {
  readonly caPem?: string | undefined;
  readonly certPem?: string | undefined;
  readonly keyPem?: string | undefined;
}

/** MAX_CONTEXTS bounds the cache: rotated client certificates add one each, and old ones are not reused. */
const MAX_CONTEXTS = 32;
const contexts = new Map<string, SecureContext>();

/** sharedSecureContext returns the process's SecureContext for these credentials, creating it on first use. */
export function sharedSecureContext(creds: ClientTlsCredentials): SecureContext {
  const key = createHash('sha256').update(`${creds.caPem ?? ''}\0${creds.certPem ?? ''}\0${creds.keyPem ?? ''}`).digest('hex');
  let ctx = contexts.get(key);
  if (!ctx) {
    ctx = createSecureContext({
      ...(creds.caPem ? { ca: creds.caPem } : {}),
      ...(creds.certPem && creds.keyPem ? { cert: creds.certPem, key: creds.keyPem } : {}),
    });
    if (contexts.size >= MAX_CONTEXTS) contexts.delete(contexts.keys().next().value as string);
    contexts.set(key, ctx);
  }
  return ctx;
}
