/**
 * Bootstrap data: what every server of one cluster must share — the cluster CA (certificate and key), the
 * service-account signing key and the generated encryption-at-rest configuration — kept in the shared datastore
 * encrypted under the cluster token, as k3s does (`/bootstrap/<hash of token>`). The first server to start with
 * `--token` on an empty datastore stores its files; later servers with the same token write them into their data
 * dir before their certificates are loaded, so all of them sign and verify with the same keys.
 *
 * Encryption: AES-256-GCM with a key derived from the token by scrypt and a random salt; a wrong token cannot even
 * find the key (its name is a hash of the token), and a tampered value fails authentication.
 * Expected outcomes (absent, stored, adopted) are values; a data dir whose files disagree with the cluster's is a
 * thrown Error with one line saying which file, since starting with another CA would split the cluster.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { DEFAULT_ENCRYPTION_CONFIG_FILE } from '../apiserver/encryption/default-encryption-config.js';
import { KeyExistsError } from '../storage/errors.js';
import type { Storage } from '../storage/storage.js';

/** BOOTSTRAP_FILES are the shared files, relative to the data dir. */
export const BOOTSTRAP_FILES: readonly string[] = [join('tls', 'ca.crt'), join('tls', 'ca.key'), join('tls', 'service-account.key'), DEFAULT_ENCRYPTION_CONFIG_FILE];

/** bootstrapKey is the datastore key of a token's bootstrap data. */
export function bootstrapKey(token: string): string {
  return `/bootstrap/${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

interface Sealed {
  readonly salt: string;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

function keyFor(token: string, salt: Buffer): Buffer {
  return scryptSync(token, salt, 32);
}

/** sealBootstrapData encrypts files (name → content) under the token. */
export function sealBootstrapData(token: string, files: Readonly<Record<string, string>>): Uint8Array {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(token, salt), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(files), 'utf8'), cipher.final()]);
  const sealed: Sealed = { salt: salt.toString('base64'), iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
  return Buffer.from(JSON.stringify(sealed), 'utf8');
}

/** openBootstrapData decrypts what sealBootstrapData made; undefined when the token is wrong or the value damaged. */
export function openBootstrapData(token: string, value: Uint8Array): Record<string, string> | undefined {
  try {
    const sealed = JSON.parse(Buffer.from(value).toString('utf8')) as Sealed;
    const decipher = createDecipheriv('aes-256-gcm', keyFor(token, Buffer.from(sealed.salt, 'base64')), Buffer.from(sealed.iv, 'base64'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    const text = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
    const files = JSON.parse(text) as unknown;
    if (typeof files !== 'object' || files === null) return undefined;
    return Object.fromEntries(Object.entries(files).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return undefined;
  }
}

/** adopt writes the cluster's files into the data dir; throws when a file there differs. */
export function adopt(dataDir: string, files: Readonly<Record<string, string>>): void {
  for (const [name, content] of Object.entries(files)) {
    if (!BOOTSTRAP_FILES.includes(name)) continue;
    const path = join(dataDir, name);
    if (existsSync(path)) {
      if (readFileSync(path, 'utf8') !== content) {
        throw new Error(`Cannot join the cluster in the datastore: ${path} differs from the cluster's (this data dir belongs to another cluster; use a new --data-dir)`);
      }
      continue;
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, content, { mode: 0o600 });
  }
}

/**
 * fetchBootstrapData runs before the server's certificates are loaded: when the datastore holds bootstrap data
 * for the token, its files are written into the data dir ('adopted'); 'absent' means this server is the first.
 */
export async function fetchBootstrapData(storage: Storage, token: string, dataDir: string): Promise<'adopted' | 'absent'> {
  const kv = await storage.get(bootstrapKey(token));
  if (!kv) return 'absent';
  const files = openBootstrapData(token, kv.value);
  if (!files) throw new Error('Cannot read the bootstrap data in the datastore: it does not decrypt with this --token');
  adopt(dataDir, files);
  return 'adopted';
}

/**
 * storeBootstrapData runs after the first server made its certificates: stores its files under the token. When
 * another server stored its own at the same moment, this one's files must equal them, else the start fails (run
 * it again: it then adopts the other's).
 */
export async function storeBootstrapData(storage: Storage, token: string, dataDir: string): Promise<void> {
  const files: Record<string, string> = {};
  for (const name of BOOTSTRAP_FILES) {
    const path = join(dataDir, name);
    if (existsSync(path)) files[name] = readFileSync(path, 'utf8');
  }
  try {
    await storage.create(bootstrapKey(token), sealBootstrapData(token, files));
  } catch (err) {
    if (!(err instanceof KeyExistsError)) throw err;
    const kv = await storage.get(bootstrapKey(token));
    const theirs = kv ? openBootstrapData(token, kv.value) : undefined;
    if (!theirs || BOOTSTRAP_FILES.some((f) => theirs[f] !== files[f])) {
      throw new Error('Cannot store the bootstrap data: another server initialised the cluster at the same moment; start this server again to join it');
    }
  }
}
