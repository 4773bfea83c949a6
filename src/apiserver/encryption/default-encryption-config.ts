/**
 * The default encryption at rest of a new cluster: on first start a random 32-byte aesgcm key is written into an
 * EncryptionConfiguration file in the data dir (mode 0600) covering `secrets`, with identity listed last so values
 * written before encryption was enabled still read. Later starts reuse the file; an operator rotates keys by
 * editing it (add the new key first, restart, rewrite the secrets).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** DEFAULT_ENCRYPTION_CONFIG_FILE is where the generated configuration lives, relative to the data dir. */
export const DEFAULT_ENCRYPTION_CONFIG_FILE = join('cred', 'encryption-config.yaml');

/** defaultEncryptionConfigText returns a configuration that encrypts secrets with one new aesgcm key. */
export function defaultEncryptionConfigText(keyName = 'key1', secret = randomBytes(32).toString('base64')): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources:',
    '      - secrets',
    '    providers:',
    '      - aesgcm:',
    '          keys:',
    `            - name: ${keyName}`,
    `              secret: ${secret}`,
    '      - identity: {}',
    '',
  ].join('\n');
}

/**
 * ensureDefaultEncryptionConfig returns the path of the data dir's generated configuration, writing it (with a new
 * key, mode 0600) when absent.
 */
export function ensureDefaultEncryptionConfig(dataDir: string): string {
  const path = join(dataDir, DEFAULT_ENCRYPTION_CONFIG_FILE);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // 'wx': never overwrite a key another process wrote in the meantime — losing it would make secrets unreadable.
    try {
      writeFileSync(path, defaultEncryptionConfigText(), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return path;
}
