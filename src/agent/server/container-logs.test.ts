/**
 * KubeletServer's /containerLogs over rotated files: a full read and --tail take the newest uncompressed rotated
 * file before the live one (older, compressed ones are left out, as upstream), and a followed log carries on
 * across a rotation without losing or repeating a line.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newLogger } from '../../base/log/logger.js';
import { CertificateAuthority, type PemPair } from '../../pki/certificate-authority.js';
import { KubeletServer } from './kubelet-server.js';

const record = (n: number): string => `2026-12-06T15:00:00.${String(n).padStart(9, '0')}Z stdout F line-${n}\n`;
const records = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => record(from + i)).join('');

void describe('KubeletServer container logs across rotation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-container-logs-'));
  const path = join(dir, '0.log');
  let running = true;
  let server: KubeletServer;
  let port: number;
  let ca: CertificateAuthority;
  let admin: PemPair;
  before(async () => {
    ca = await CertificateAuthority.create('test-ca');
    const serving = await ca.issue({ commonName: 'node', ipAddresses: ['127.0.0.1'], usage: 'server' });
    admin = await ca.issue({ commonName: 'kube-apiserver-kubelet-client', usage: 'client' });
    server = new KubeletServer({
      logs: { logFile: () => Promise.resolve({ path, running }) },
      tls: { certPem: serving.certPem, keyPem: serving.keyPem, clientCaPem: ca.pem.certPem },
      port: 0,
      bindAddress: '127.0.0.1',
      log: newLogger('container-logs-test'),
    });
    port = await server.start();
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** get reads a log request's body; `onData` sees each chunk as it comes. */
  const get = (query: string, onData?: (text: string) => void): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: `/containerLogs/ns/p/c?${query}`, ca: ca.pem.certPem, cert: admin.certPem, key: admin.keyPem }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
          onData?.(body);
        });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });

  void it('reads the newest rotated file, then the live one', async () => {
    writeFileSync(join(dir, '0.log.20261206-145900.gz'), 'not read');
    writeFileSync(join(dir, '0.log.20261206-145950'), records(0, 3));
    writeFileSync(path, records(3, 5));
    assert.equal(await get(''), 'line-0\nline-1\nline-2\nline-3\nline-4\n');
    assert.equal(await get('tailLines=3'), 'line-2\nline-3\nline-4\n');
  });

  void it('follows across a rotation', async () => {
    let seen = '';
    const done = get('follow=true&tailLines=1', (body) => (seen = body));
    const wait = async (text: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (!seen.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(seen)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await wait('line-4\n');
    appendFileSync(path, records(5, 7));
    await wait('line-6\n');
    // Rotation: the file is renamed, the writer adds a last line to it, then reopens the path.
    renameSync(path, join(dir, '0.log.20261206-150000'));
    appendFileSync(join(dir, '0.log.20261206-150000'), record(7));
    writeFileSync(path, '');
    await new Promise((r) => setTimeout(r, 300));
    appendFileSync(path, records(8, 10));
    await wait('line-9\n');
    running = false;
    assert.equal(await done, 'line-4\nline-5\nline-6\nline-7\nline-8\nline-9\n');
  });
});
