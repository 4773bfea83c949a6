import assert from 'node:assert/strict';
import { createServer, connect, type Server } from 'node:net';
import { describe, it } from 'node:test';

import { newLogger } from '../../base/log/logger.js';
import { ServerLoadBalancer } from './server-load-balancer.js';

/** namedServer answers every connection with its name and closes it. */
async function namedServer(name: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.end(name));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  return { server, port: typeof a === 'object' && a ? a.port : 0 };
}

function close(server: Server): Promise<void> {
  return new Promise((r) => server.close(() => r()));
}

/** ask connects through the balancer and reads what the server says ('' when the connection is dropped). */
function ask(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', () => undefined);
  });
}

void describe('ServerLoadBalancer', () => {
  void it('sticks to the current server, fails over when it dies, and keeps the default server as a last resort', async () => {
    const a = await namedServer('a');
    const b = await namedServer('b');
    const lb = new ServerLoadBalancer({ defaultServer: `https://127.0.0.1:${a.port}`, log: newLogger('test') });
    await lb.start();
    const port = Number(new URL(lb.url).port);
    try {
      assert.equal(await ask(port), 'a');
      lb.setServers([{ host: '127.0.0.1', port: b.port }]);
      // The current server stays current while it answers.
      assert.equal(await ask(port), 'a');
      assert.deepEqual(lb.servers(), [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
      await close(a.server);
      assert.equal(await ask(port), 'b');
      assert.equal(await ask(port), 'b');
      await close(b.server);
      // Nobody answers: the connection is dropped, not left hanging.
      assert.equal(await ask(port), '');
    } finally {
      await lb.stop();
    }
  });
});
