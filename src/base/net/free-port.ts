/**
 * freePort asks the kernel for an unused loopback TCP port (listen on port 0, read the port, close). Another
 * process may take the port before the caller binds it; callers that can bind port 0 themselves should.
 */
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
