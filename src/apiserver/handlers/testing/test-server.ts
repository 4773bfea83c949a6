/**
 * Test server for resource handler tests: a ResourceDispatcher over MemoryStorage behind a real node:http server
 * on 127.0.0.1, with a tiny stand-in for the filter chain (request info, body, Status errors).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { internalError, StatusError } from '../../../api/meta/status-error.js';
import type { KubeObject } from '../../../api/meta/types.js';
import { builtinSchemas } from '../../../api/schema/schema-registry.js';
import { RealClock } from '../../../base/clock/clock.js';
import { MemoryStorage } from '../../../storage/memory/memory-storage.js';
import { writeStatus } from '../../negotiation/write.js';
import { resolveRequestInfo } from '../../request/request-info-resolver.js';
import { ResourceDispatcher } from '../resource-dispatcher.js';
import type { ResourceDispatcherConfig } from '../resource-dispatcher.js';

/** Reply is a finished HTTP exchange. */
export interface Reply {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  json: KubeObject;
}

/** startServer starts a dispatcher behind HTTP; `stop` closes both. */
export async function startServer(config: Partial<ResourceDispatcherConfig> = {}) {
  const storage = new MemoryStorage();
  const dispatcher = new ResourceDispatcher({ storage, clock: new RealClock(), schemas: builtinSchemas(), watcherBuffer: 50, ...config });
  await dispatcher.start();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const abort = new AbortController();
      res.on('close', () => abort.abort());
      const run = async () => {
        const info = resolveRequestInfo(req.method ?? 'GET', url);
        await dispatcher.handle({ info, user: { username: 'admin', groups: [] }, req, res, url, body: Buffer.concat(chunks), signal: abort.signal });
      };
      run().catch((err: unknown) => writeStatus(res, err instanceof StatusError ? err : internalError(String(err))));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const r = await fetch(base + path, init);
    const text = await r.text();
    let json: KubeObject = {};
    try {
      json = JSON.parse(text) as KubeObject;
    } catch {
      // not JSON (YAML answers)
    }
    return { status: r.status, headers: Object.fromEntries(r.headers.entries()), text, json };
  };
  const stop = async () => {
    dispatcher.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { dispatcher, storage, call, base, stop };
}

/** openWatch opens a watch and returns a reader of its newline-delimited events. */
export async function openWatch(base: string, path: string, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const r = await fetch(base + path, { signal: abort.signal, headers });
  assert.equal(r.status, 200);
  const reader = r.body!.getReader();
  let buf = '';
  const decoder = new TextDecoder();
  const next = async (): Promise<KubeObject | undefined> => {
    const deadline = Date.now() + 3000;
    for (;;) {
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        return JSON.parse(line) as KubeObject;
      }
      if (Date.now() > deadline) assert.fail('timed out waiting for a watch event');
      const { value, done } = await reader.read();
      if (done) return undefined;
      buf += decoder.decode(value, { stream: true });
    }
  };
  return { next, close: () => abort.abort(), headers: r.headers };
}
