/**
 * A control plane whose store refuses writes (at its size quota, or on a full disk) must still start — reads and
 * deletes are how an operator gets the store back under its quota — and finish its bootstrap once writes are
 * admitted again. (It used to fail the start, and `tkube server` then hung: docs/reliability.md, bug 3.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { ControlPlane } from '../apiserver/control-plane.js';
import type { Logger } from '../base/log/logger.js';
import { ensureClusterCertificates } from '../pki/cluster-certificates.js';
import { QuotaExceededError } from '../storage/errors.js';
import { MemoryStorage } from '../storage/memory/memory-storage.js';
import type { KeyValue } from '../storage/storage.js';

/** FullStorage refuses creates and updates, as SqliteStorage does over its quota, until `full` is cleared. */
class FullStorage extends MemoryStorage {
  full = true;
  refused = 0;

  override create(key: string, value: Uint8Array): Promise<KeyValue> {
    return this.#refuse(key) ?? super.create(key, value);
  }

  override update(key: string, value: Uint8Array, expectedModRevision: number): Promise<KeyValue> {
    return this.#refuse(key) ?? super.update(key, value, expectedModRevision);
  }

  #refuse(key: string): Promise<KeyValue> | undefined {
    if (!this.full) return undefined;
    this.refused++;
    return Promise.reject(new QuotaExceededError(`Cannot write key "${key}": the database is at its quota`));
  }
}

const silent: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => silent };

void describe('ControlPlane on a full store', () => {
  void it('starts, defers the bootstrap while writes are refused, and finishes it once they are admitted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tkube-full-'));
    const storage = new FullStorage();
    let cp: ControlPlane | undefined;
    try {
      const certs = await ensureClusterCertificates({ dataDir: dir });
      cp = new ControlPlane({
        storage,
        bindAddress: '127.0.0.1',
        port: 0,
        tls: { certPem: certs.serving.certPem, keyPem: certs.serving.keyPem, clientCaPem: certs.ca.pem.certPem },
        serviceAccountKeyPem: certs.serviceAccountKeyPem,
        serviceCidr: '10.43.0.0/16',
        kubernetesServiceIp: '10.43.0.1',
        advertiseAddress: '127.0.0.1',
        log: silent,
        authorizationMode: 'RBAC',
      });
      const port = await cp.start();
      assert.ok(storage.refused > 0, 'the bootstrap tried to write');
      const get = (path: string): Promise<number> =>
        new Promise((done, fail) => {
          const req = request({ host: '127.0.0.1', port, path, ca: certs.ca.pem.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem }, (res) => {
            res.resume();
            res.on('end', () => done(res.statusCode ?? 0));
          });
          req.on('error', fail);
          req.end();
        });
      assert.notEqual(await get('/readyz'), 200, 'not ready while the bootstrap is unfinished');
      storage.full = false;
      const deadline = Date.now() + 20_000;
      while ((await get('/readyz')) !== 200) {
        assert.ok(Date.now() < deadline, 'the deferred bootstrap finished within 20 s');
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.equal(await get('/api/v1/namespaces/default/services/kubernetes'), 200);
    } finally {
      await cp?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
