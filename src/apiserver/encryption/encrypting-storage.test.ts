import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { runStorageConformance } from '../../storage/conformance.js';
import { ConflictError } from '../../storage/errors.js';
import type { WatchEvent } from '../../storage/storage.js';
import { AesGcmProvider } from './aes-gcm-provider.js';
import { EncryptingStorage } from './encrypting-storage.js';
import { parseEncryptionConfig } from './encryption-config.js';
import { IdentityProvider } from './identity-provider.js';
import { ValueTransformer } from './value-transformer.js';
import { defaultEncryptionConfigText } from './default-encryption-config.js';

const everything = () => ({
  rules: [{ resources: ['*'], keyPrefixes: ['/'], transformer: new ValueTransformer([new AesGcmProvider('k', randomBytes(32).toString('base64')), new IdentityProvider()]) }],
});

// The decorator must keep every storage guarantee: run the shared behaviour suite with all keys encrypted.
runStorageConformance('EncryptingStorage(MemoryStorage)', async () => {
  const storage = new EncryptingStorage(new MemoryStorage(), everything());
  return { storage, cleanup: () => storage.close() };
});

const text = (v: Uint8Array | undefined): string => Buffer.from(v ?? new Uint8Array()).toString('latin1');

describe('EncryptingStorage', () => {
  it('stores configured resources encrypted and others as they are', async () => {
    const inner = new MemoryStorage();
    const s = new EncryptingStorage(inner, parseEncryptionConfig(defaultEncryptionConfigText()));
    await s.create('/registry/secrets/default/db', Buffer.from('{"data":{"p":"c2VjcmV0"}}'));
    await s.create('/registry/configmaps/default/cm', Buffer.from('{"data":{"p":"plain"}}'));
    const raw = await inner.get('/registry/secrets/default/db');
    assert.match(text(raw?.value), /^k8s:enc:aesgcm:v1:key1:/);
    assert.equal(text(raw?.value).includes('c2VjcmV0'), false);
    assert.equal(text((await inner.get('/registry/configmaps/default/cm'))?.value), '{"data":{"p":"plain"}}');
    assert.equal(text((await s.get('/registry/secrets/default/db'))?.value), '{"data":{"p":"c2VjcmV0"}}');
    assert.equal(text((await s.list('/registry/secrets/')).items[0]?.value), '{"data":{"p":"c2VjcmV0"}}');
    await s.close();
  });

  it('reads values written before encryption was enabled', async () => {
    const inner = new MemoryStorage();
    await inner.create('/registry/secrets/default/old', Buffer.from('{"old":true}'));
    const s = new EncryptingStorage(inner, parseEncryptionConfig(defaultEncryptionConfigText()));
    assert.equal(text((await s.get('/registry/secrets/default/old'))?.value), '{"old":true}');
    await s.close();
  });

  it('decrypts watch events and the current value of a conflict', async () => {
    const s = new EncryptingStorage(new MemoryStorage(), parseEncryptionConfig(defaultEncryptionConfigText()));
    const seen: WatchEvent[] = [];
    const w = s.watch('/registry/secrets/', { afterRevision: 0, onEvents: (e) => seen.push(...e) });
    const kv = await s.create('/registry/secrets/a/b', Buffer.from('one'));
    await s.update('/registry/secrets/a/b', Buffer.from('two'), kv.modRevision);
    await assert.rejects(s.update('/registry/secrets/a/b', Buffer.from('three'), kv.modRevision), (err: unknown) => err instanceof ConflictError && text(err.current.value) === 'two');
    const deadline = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(seen.map((e) => text(e.kv.value)), ['one', 'two']);
    assert.equal(text(seen[1]?.prevKv?.value), 'one');
    w.close();
    await s.close();
  });
});
