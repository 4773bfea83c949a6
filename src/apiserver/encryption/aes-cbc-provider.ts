/**
 * AesCbcProvider: AES-CBC with PKCS#7 padding and a random 16-byte IV per write. Sealed layout: iv (16) ‖
 * ciphertext. Keys are 16, 24 or 32 bytes. CBC authenticates nothing; upstream keeps it for compatibility and so
 * do we (aesgcm or secretbox are the better choice).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodeKeySecret, encryptionPrefix, type EncryptionProvider } from './encryption-provider.js';

const IV_BYTES = 16;

/** AesCbcProvider implements EncryptionProvider for `aescbc`. */
export class AesCbcProvider implements EncryptionProvider {
  readonly kind = 'aescbc';
  readonly keyName: string;
  readonly prefix: string;
  readonly #key: Buffer;
  readonly #algorithm: 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc';

  /** `secret` is the base64 key from the configuration. */
  constructor(keyName: string, secret: string) {
    this.keyName = keyName;
    this.prefix = encryptionPrefix(this.kind, keyName);
    this.#key = decodeKeySecret(this.kind, keyName, secret, [16, 24, 32]);
    this.#algorithm = this.#key.length === 16 ? 'aes-128-cbc' : this.#key.length === 24 ? 'aes-192-cbc' : 'aes-256-cbc';
  }

  seal(plain: Uint8Array): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(this.#algorithm, this.#key, iv);
    return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
  }

  open(sealed: Uint8Array): Buffer {
    if (sealed.length < 2 * IV_BYTES || sealed.length % IV_BYTES !== 0) throw new Error('Cannot decrypt aescbc value: the data is not whole blocks');
    const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
    const decipher = createDecipheriv(this.#algorithm, this.#key, data.subarray(0, IV_BYTES));
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES)), decipher.final()]);
  }
}
