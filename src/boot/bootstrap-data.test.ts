import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { MemoryStorage } from '../storage/memory/memory-storage.js';
import { bootstrapKey, fetchBootstrapData, openBootstrapData, sealBootstrapData, storeBootstrapData } from './bootstrap-data.js';

void describe('bootstrap data', () => {
  void it('opens only with the token it was sealed under', () => {
    const sealed = sealBootstrapData('secret', { 'tls/ca.crt': 'CERT' });
    assert.deepEqual(openBootstrapData('secret', sealed), { 'tls/ca.crt': 'CERT' });
    assert.equal(openBootstrapData('other', sealed), undefined);
    assert.ok(!Buffer.from(sealed).toString('utf8').includes('CERT'));
    assert.notEqual(bootstrapKey('secret'), bootstrapKey('other'));
  });

  void it('the first server stores its files, the next adopts them, a foreign data dir is refused', async () => {
    const storage = new MemoryStorage();
    const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), 'tkube-bootstrap-')));
    const [first = '', second = '', foreign = ''] = dirs;
    try {
      assert.equal(await fetchBootstrapData(storage, 'tok', first), 'absent');
      mkdirSync(join(first, 'tls'), { recursive: true });
      writeFileSync(join(first, 'tls', 'ca.crt'), 'CA');
      writeFileSync(join(first, 'tls', 'ca.key'), 'KEY');
      await storeBootstrapData(storage, 'tok', first);
      assert.equal(await fetchBootstrapData(storage, 'tok', second), 'adopted');
      assert.equal(readFileSync(join(second, 'tls', 'ca.key'), 'utf8'), 'KEY');
      // Storing the same files again (a race lost to an identical copy) is fine.
      await storeBootstrapData(storage, 'tok', second);
      mkdirSync(join(foreign, 'tls'), { recursive: true });
      writeFileSync(join(foreign, 'tls', 'ca.crt'), 'OTHER CA');
      await assert.rejects(fetchBootstrapData(storage, 'tok', foreign), /differs from the cluster's/);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});
