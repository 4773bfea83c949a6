/**
 * Raw body server: the reference for the LIST benchmark. A bare Node HTTPS server, in its own process like the
 * API server, answering every GET with the exact bytes (and Content-Type) the API returned, using the API
 * server's own serving certificate and key so TLS costs the same.
 * Run (by list.ts): node --import tsx bench/raw-body-server.ts BODY_FILE CONTENT_TYPE CERT_FILE KEY_FILE
 * Prints {"port":N} once listening; exits when its parent closes stdin.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [bodyFile, contentType, certFile, keyFile] = process.argv.slice(2);
if (!bodyFile || !contentType || !certFile || !keyFile) throw new Error('Cannot start raw body server: usage BODY_FILE CONTENT_TYPE CERT_FILE KEY_FILE');
const body = readFileSync(bodyFile);
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (_req, res) => {
  res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': body.length });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr !== null ? addr.port : 0 })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
