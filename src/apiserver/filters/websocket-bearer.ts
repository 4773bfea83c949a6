/**
 * Browsers cannot set an Authorization header on a WebSocket, so Kubernetes clients in a browser carry their bearer
 * token as a WebSocket subprotocol: `base64url.bearer.authorization.k8s.io.<token in unpadded base64url>` (upstream's
 * convention). adoptWebSocketBearerToken moves such a token into the Authorization header before authentication —
 * unless the request already has one — and removes it from the offered subprotocols, so it is never echoed back or
 * chosen. Malformed tokens are left to fail authentication like any wrong token.
 */
import type { IncomingMessage } from 'node:http';

const PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** adoptWebSocketBearerToken rewrites `req.headers` as described above. */
export function adoptWebSocketBearerToken(req: IncomingMessage): void {
  const offered = req.headers['sec-websocket-protocol'];
  if (!offered) return;
  const protocols = offered.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const tokenProtocol = protocols.find((p) => p.startsWith(PREFIX));
  if (tokenProtocol === undefined) return;
  const rest = protocols.filter((p) => !p.startsWith(PREFIX));
  if (rest.length > 0) req.headers['sec-websocket-protocol'] = rest.join(', ');
  else delete req.headers['sec-websocket-protocol'];
  if (req.headers.authorization) return;
  const token = Buffer.from(tokenProtocol.slice(PREFIX.length), 'base64url').toString('utf8');
  if (token !== '' && !/\s/.test(token)) req.headers.authorization = `Bearer ${token}`;
}
