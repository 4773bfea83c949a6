/**
 * AesGcmProvider: AES-GCM with a random 12-byte nonce per write and the storage key as additional authenticated
 * data. Sealed layout: nonce (12) ‖ ciphertext ‖ tag (16). Keys are 16, 24 or 32 bytes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodeKeySecret, encryptionPrefix, type EncryptionProvider } from './encryption-provider.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** AesGcmProvider implements EncryptionProvider for `aesgcm`. */
export class AesGcmProvider implements EncryptionProvider {
  readonly kind = 'aesgcm';
  readonly keyName: string;
  readonly prefix: string;
  readonly #key: Buffer;
  readonly #algorithm: 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm';

  /** `secret` is the base64 key from the configuration. */
  constructor(keyName: string, secret: string) {
    this.keyName = keyName;
    this.prefix = encryptionPrefix(this.kind, keyName);
    this.#key = decodeKeySecret(this.kind, keyName, secret, [16, 24, 32]);
    this.#algorithm = this.#key.length === 16 ? 'aes-128-gcm' : this.#key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
  }

  seal(plain: Uint8Array, context: string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(this.#algorithm, this.#key, nonce);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([nonce, body, cipher.getAuthTag()]);
  }

  open(sealed: Uint8Array, context: string): Buffer {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new Error('Cannot decrypt aesgcm value: the data is too short');
    const data = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.length);
    const decipher = createDecipheriv(this.#algorithm, this.#key, data.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  }
}
