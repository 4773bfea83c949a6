/**
 * Secrets at rest: a new cluster encrypts secrets by default (a raw scan of the SQLite files, WAL included, finds
 * neither the value nor its base64), the generated key file is private, and secrets written before encryption
 * was enabled still read afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCluster } from '../harness/test-cluster.js';

/** rawDbContains scans every file of the data dir's db/ folder (database, WAL, shared memory) for `text`. */
function rawDbContains(dataDir: string, text: string): boolean {
  const dir = join(dataDir, 'db');
  const needles = [Buffer.from(text), Buffer.from(Buffer.from(text).toString('base64'))];
  return readdirSync(dir).some((f) => {
    const bytes = readFileSync(join(dir, f));
    return needles.some((n) => bytes.includes(n));
  });
}

describe('encryption at rest', () => {
  let c: TestCluster;
  const tmp = mkdtempSync(join(tmpdir(), 'tkube-enc-'));
  before(async () => {
    c = await TestCluster.start();
  });
  after(async () => {
    await c?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a new cluster encrypts secrets with a generated key; configmaps stay readable on disk', async () => {
    const keyFile = join(c.dataDir, 'cred', 'encryption-config.yaml');
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(readFileSync(keyFile, 'utf8'), /aesgcm/);
    await c.kubectlOk(['create', 'secret', 'generic', 'db-pass', '--from-literal=password=TopSecretMarker4711']);
    await c.kubectlOk(['create', 'configmap', 'plain', '--from-literal=note=PlainMarker4711']);
    assert.equal((await c.kubectlOk(['get', 'secret', 'db-pass', '-o', 'jsonpath={.data.password}'])).trim(), Buffer.from('TopSecretMarker4711').toString('base64'));
    assert.equal(rawDbContains(c.dataDir, 'TopSecretMarker4711'), false, 'secret value found in the database files');
    // The scan itself works: an unencrypted resource is found.
    assert.equal(rawDbContains(c.dataDir, 'PlainMarker4711'), true);
  });

  it('secrets stored before encryption was enabled still read, and rewriting encrypts them', async () => {
    await c.stop();
    const identityOnly = join(tmp, 'identity.yaml');
    writeFileSync(identityOnly, 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - identity: {}\n');
    c = await TestCluster.start({ args: ['--encryption-provider-config', identityOnly] });
    await c.kubectlOk(['create', 'secret', 'generic', 'legacy', '--from-literal=token=LegacyMarker4711']);
    assert.equal(rawDbContains(c.dataDir, 'LegacyMarker4711'), true);
    await c.restart('SIGTERM', { args: [] });
    assert.equal((await c.kubectlOk(['get', 'secret', 'legacy', '-o', 'jsonpath={.data.token}'])).trim(), Buffer.from('LegacyMarker4711').toString('base64'));
    await c.kubectlOk(['create', 'secret', 'generic', 'fresh', '--from-literal=token=FreshMarker4711']);
    assert.equal(rawDbContains(c.dataDir, 'FreshMarker4711'), false);
    // Rotation's last step: rewrite every secret so it is stored with the current first provider.
    const all = await c.kubectlOk(['get', 'secrets', '-A', '-o', 'json']);
    await c.kubectlOk(['replace', '-f', '-'], { input: all });
    assert.equal((await c.kubectlOk(['get', 'secret', 'legacy', '-o', 'jsonpath={.data.token}'])).trim(), Buffer.from('LegacyMarker4711').toString('base64'));
  });
});
