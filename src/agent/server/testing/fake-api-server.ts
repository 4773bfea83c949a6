/**
 * A minimal stand-in for the API server, just enough for kubectl's streaming commands against one pod
 * (`default/web`): legacy discovery, GET of the pod (Running), and every upgrade request handed to `onUpgrade`.
 * It lets tests drive the node's streaming handlers with the real kubectl without the API server's proxy.
 * Plain HTTP: kubectl is pointed at it with `--server http://127.0.0.1:<port>`. Only tests import this.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface FakeApiServer {
  readonly port: number;
  /** `<Upgrade header> <offered subprotocols>` of each upgrade request, in arrival order. */
  readonly upgrades: string[];
  close(): Promise<void>;
}

export async function startFakeApiServer(onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void): Promise<FakeApiServer> {
  const upgrades: string[] = [];
  const sockets = new Set<Duplex>();
  const json = (res: ServerResponse, code: number, body: unknown): void => {
    res.writeHead(code, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (path === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] });
    if (path === '/apis') return json(res, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
    if (path === '/api/v1') return json(res, 200, { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] }] });
    if (path === '/api/v1/namespaces/default/pods/web') {
      return json(res, 200, { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web', namespace: 'default', uid: 'uid-web' }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Running' } });
    }
    json(res, 404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    upgrades.push(`${req.headers.upgrade ?? ''} ${req.headers['sec-websocket-protocol'] ?? req.headers['x-stream-protocol-version'] ?? ''}`);
    onUpgrade(req, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    upgrades,
    close: async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
