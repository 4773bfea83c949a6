/**
 * EncryptionConfiguration (apiserver.config.k8s.io/v1, the file `--encryption-provider-config` names), parsed into
 * resource matchers and transformers. Supported providers: aesgcm, aescbc, secretbox (each with keys of name and
 * base64 secret) and identity; kms is refused with an error. Resources are `secrets`, `<resource>.<group>`, `*.<group>`
 * or `*.*`; the first resources[] entry that names a resource decides its providers, as upstream.
 */
import { parse as parseYaml } from 'yaml';
import { AesCbcProvider } from './aes-cbc-provider.js';
import { AesGcmProvider } from './aes-gcm-provider.js';
import type { EncryptionProvider } from './encryption-provider.js';
import { IdentityProvider } from './identity-provider.js';
import { SecretboxProvider } from './secretbox-provider.js';
import { ValueTransformer } from './value-transformer.js';

/** EncryptionRule maps storage key prefixes to the transformer of their values. */
export interface EncryptionRule {
  /** The resources as written in the configuration. */
  readonly resources: readonly string[];
  /** Storage key prefixes of those resources (`/registry/secrets/`, `/registry/apps/deployments/`, `/registry/`). */
  readonly keyPrefixes: readonly string[];
  readonly transformer: ValueTransformer;
}

/** EncryptionConfig is a parsed configuration. */
export interface EncryptionConfig {
  readonly rules: readonly EncryptionRule[];
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`Cannot parse encryption configuration: ${where} must be an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error(`Cannot parse encryption configuration: ${where} must be a non-empty list`);
  return value;
}

/** keyPrefixFor turns a configured resource name into the storage key prefix of its objects. */
export function keyPrefixFor(resource: string): string {
  if (resource === '*.*') return '/registry/';
  const dot = resource.indexOf('.');
  const name = dot < 0 ? resource : resource.slice(0, dot);
  const group = dot < 0 ? '' : resource.slice(dot + 1);
  if (name === '' || /[/\s]/.test(resource)) throw new Error(`Cannot parse encryption configuration: "${resource}" is not a resource name`);
  if (name === '*') {
    // Core resources share the /registry/ prefix with every group, so "*." cannot be told apart by key.
    if (group === '') throw new Error('Cannot parse encryption configuration: "*." (every core resource) is not supported; list the core resources by name');
    return `/registry/${group}/`;
  }
  return group === '' ? `/registry/${name}/` : `/registry/${group}/${name}/`;
}

function providersOf(value: unknown, where: string): EncryptionProvider[] {
  return list(value, where).map((raw, i) => {
    const entry = record(raw, `${where}[${i}]`);
    const kinds = Object.keys(entry);
    if (kinds.length !== 1) throw new Error(`Cannot parse encryption configuration: ${where}[${i}] must name exactly one provider`);
    const kind = kinds[0] ?? '';
    if (kind === 'identity') return [new IdentityProvider()];
    if (kind !== 'aesgcm' && kind !== 'aescbc' && kind !== 'secretbox') {
      throw new Error(`Cannot parse encryption configuration: provider "${kind}" is not supported (use aesgcm, aescbc, secretbox or identity)`);
    }
    const keys = list(record(entry[kind], `${where}[${i}].${kind}`)['keys'], `${where}[${i}].${kind}.keys`);
    return keys.map((k, j) => {
      const key = record(k, `${where}[${i}].${kind}.keys[${j}]`);
      const name = key['name'];
      const secret = key['secret'];
      if (typeof name !== 'string' || name === '' || typeof secret !== 'string') {
        throw new Error(`Cannot parse encryption configuration: ${where}[${i}].${kind}.keys[${j}] needs a name and a secret`);
      }
      if (kind === 'aesgcm') return new AesGcmProvider(name, secret);
      if (kind === 'aescbc') return new AesCbcProvider(name, secret);
      return new SecretboxProvider(name, secret);
    });
  }).flat();
}

/** parseEncryptionConfig parses an EncryptionConfiguration document (YAML or JSON). Throws on any error. */
export function parseEncryptionConfig(text: string): EncryptionConfig {
  const doc = record(parseYaml(text) as unknown, 'the document');
  if (doc['kind'] !== 'EncryptionConfiguration') throw new Error(`Cannot parse encryption configuration: kind is "${String(doc['kind'])}", want EncryptionConfiguration`);
  const rules = list(doc['resources'], 'resources').map((raw, i): EncryptionRule => {
    const entry = record(raw, `resources[${i}]`);
    const resources = list(entry['resources'], `resources[${i}].resources`).map((r) => {
      if (typeof r !== 'string') throw new Error(`Cannot parse encryption configuration: resources[${i}].resources holds a non-string`);
      return r;
    });
    return { resources, keyPrefixes: resources.map(keyPrefixFor), transformer: new ValueTransformer(providersOf(entry['providers'], `resources[${i}].providers`)) };
  });
  return { rules };
}
