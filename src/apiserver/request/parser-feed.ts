/**
 * feedParserThroughStream: makes Node's HTTP server read a TLS connection through the socket's stream instead of
 * letting the HTTP parser take the bytes straight from the TLS layer. Contract: call it from a `secureConnection`
 * listener added after the server was created (so it runs after Node's own listener set the connection up); the
 * connection is served exactly as before, except that a pause of the parser can no longer lose a request.
 *
 * Why (docs/reliability.md, "Bugs found": a valid create reset): Node 20 stops reading a keep-alive connection when a
 * request's headers arrive while the previous response is still being sent (its write buffer above the high-water
 * mark: any response over 16 KiB whose last bytes the event loop has not seen leave yet). It pauses the socket and the
 * HTTP parser. When the parser consumes the TLS layer directly, stopping the reads does not stop the TLS layer from
 * handing over the rest of the records it already decrypted (up to four 16 KiB records per 64 KiB read): the paused
 * parser refuses them with HPE_PAUSED, which Node reports as a malformed request (`clientError`), and the connection
 * is closed with the rest of the body unread, so the client sees `read ECONNRESET` for a valid request. Reading
 * through the stream, the bytes that arrive during a pause wait in the stream's buffer until the response drained.
 * Plain sockets are not affected (their reads stop at once), nor are in-process connections (always streamed).
 *
 * How: Node's HTTP server stops consuming a socket natively once a `data` listener is added to it, so user code sees
 * every byte; adding one and removing it at once leaves only the server's own listener, on the stream path.
 */
import type { TLSSocket } from 'node:tls';

/** Listens for nothing: only its being added matters (see the file comment). */
function ignoreData(): void {
  // Intentionally empty.
}

export function feedParserThroughStream(socket: TLSSocket): void {
  socket.on('data', ignoreData);
  socket.off('data', ignoreData);
}
