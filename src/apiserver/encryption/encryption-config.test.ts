import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { defaultEncryptionConfigText } from './default-encryption-config.js';
import { keyPrefixFor, parseEncryptionConfig } from './encryption-config.js';
import { ValueTransformer } from './value-transformer.js';
import { AesGcmProvider } from './aes-gcm-provider.js';
import { IdentityProvider } from './identity-provider.js';

const k = (): string => randomBytes(32).toString('base64');

describe('EncryptionConfiguration', () => {
  it('maps resource names to storage key prefixes', () => {
    assert.equal(keyPrefixFor('secrets'), '/registry/secrets/');
    assert.equal(keyPrefixFor('deployments.apps'), '/registry/apps/deployments/');
    assert.equal(keyPrefixFor('*.apps'), '/registry/apps/');
    assert.equal(keyPrefixFor('*.*'), '/registry/');
    assert.throws(() => keyPrefixFor('*.'), /not supported/);
  });

  it('parses every provider kind and keeps their order', () => {
    const text = `
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets, configmaps]
    providers:
      - secretbox: {keys: [{name: s1, secret: ${k()}}]}
      - aescbc: {keys: [{name: c1, secret: ${k()}}, {name: c2, secret: ${k()}}]}
      - aesgcm: {keys: [{name: g1, secret: ${k()}}]}
      - identity: {}
`;
    const cfg = parseEncryptionConfig(text);
    assert.equal(cfg.rules.length, 1);
    assert.deepEqual(cfg.rules[0]?.keyPrefixes, ['/registry/secrets/', '/registry/configmaps/']);
    assert.equal(cfg.rules[0]?.transformer.writer.prefix, 'k8s:enc:secretbox:v1:s1:');
  });

  it('refuses unknown providers, bad kinds and keys without secrets', () => {
    const head = 'kind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n';
    assert.throws(() => parseEncryptionConfig(`${head}      - kms: {name: x}\n`), /provider "kms" is not supported/);
    assert.throws(() => parseEncryptionConfig(`${head}      - aesgcm: {keys: [{name: a}]}\n`), /needs a name and a secret/);
    assert.throws(() => parseEncryptionConfig('kind: Other\n'), /want EncryptionConfiguration/);
  });

  it('the generated default encrypts secrets with aesgcm and still reads plaintext', () => {
    const cfg = parseEncryptionConfig(defaultEncryptionConfigText());
    const t = cfg.rules[0]?.transformer;
    assert.ok(t);
    assert.equal(t.writer.kind, 'aesgcm');
    const old = Buffer.from('{"kind":"Secret"}');
    assert.deepEqual(t.fromStorage(old, '/registry/secrets/a/b'), old);
  });
});

describe('ValueTransformer', () => {
  it('reads values of every listed key after a rotation and writes with the first', () => {
    const oldKey = new AesGcmProvider('old', k());
    const newKey = new AesGcmProvider('new', k());
    const before = new ValueTransformer([oldKey]);
    const stored = before.toStorage(Buffer.from('v1'), '/registry/secrets/ns/a');
    const after = new ValueTransformer([newKey, oldKey]);
    assert.equal(Buffer.from(after.fromStorage(stored, '/registry/secrets/ns/a')).toString(), 'v1');
    assert.ok(Buffer.from(after.toStorage(Buffer.from('v2'), '/registry/secrets/ns/a')).toString('latin1').startsWith('k8s:enc:aesgcm:v1:new:'));
  });

  it('refuses plaintext without identity and values of unknown keys', () => {
    const t = new ValueTransformer([new AesGcmProvider('a', k())]);
    assert.throws(() => t.fromStorage(Buffer.from('{}'), '/registry/secrets/x/y'), /identity is not listed/);
    const other = new ValueTransformer([new AesGcmProvider('b', k())]).toStorage(Buffer.from('x'), '/registry/secrets/x/y');
    assert.throws(() => t.fromStorage(other, '/registry/secrets/x/y'), /its key is not in the encryption configuration/);
  });

  it('with identity listed, values of an unknown key are still an error', () => {
    const t = new ValueTransformer([new AesGcmProvider('a', k()), new IdentityProvider()]);
    const other = new ValueTransformer([new AesGcmProvider('b', k())]).toStorage(Buffer.from('x'), '/registry/secrets/x/y');
    assert.throws(() => t.fromStorage(other, '/registry/secrets/x/y'), /its key is not in the encryption configuration/);
  });

  it('identity first writes plaintext', () => {
    const t = new ValueTransformer([new IdentityProvider(), new AesGcmProvider('a', k())]);
    assert.equal(Buffer.from(t.toStorage(Buffer.from('{}'), '/k')).toString(), '{}');
  });
});
