/**
 * httpGetBody fetches `/` from host:port on a fresh connection (so each request is a new connection a proxy
 * balances) and resolves the trimmed body of a 200, or undefined for anything else (error, timeout after 2 s).
 */
import { get } from 'node:http';

export function httpGetBody(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = get({ host, port, path: '/', agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}
