/**
 * SecretboxProvider: NaCl secretbox (XSalsa20-Poly1305) with a random 24-byte nonce per write; node:crypto has no
 * XSalsa20, so this uses tweetnacl. Sealed layout: nonce (24) ‖ box. Keys are 32 bytes.
 */
import { randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { decodeKeySecret, encryptionPrefix, type EncryptionProvider } from './encryption-provider.js';

const NONCE_BYTES = 24;

/** SecretboxProvider implements EncryptionProvider for `secretbox`. */
export class SecretboxProvider implements EncryptionProvider {
  readonly kind = 'secretbox';
  readonly keyName: string;
  readonly prefix: string;
  readonly #key: Uint8Array;

  /** `secret` is the base64 key from the configuration. */
  constructor(keyName: string, secret: string) {
    this.keyName = keyName;
    this.prefix = encryptionPrefix(this.kind, keyName);
    this.#key = new Uint8Array(decodeKeySecret(this.kind, keyName, secret, [32]));
  }

  seal(plain: Uint8Array): Buffer {
    const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
    return Buffer.concat([nonce, nacl.secretbox(new Uint8Array(plain), nonce, this.#key)]);
  }

  open(sealed: Uint8Array): Buffer {
    if (sealed.length < NONCE_BYTES + nacl.secretbox.overheadLength) throw new Error('Cannot decrypt secretbox value: the data is too short');
    const data = new Uint8Array(sealed);
    const plain = nacl.secretbox.open(data.subarray(NONCE_BYTES), data.subarray(0, NONCE_BYTES), this.#key);
    if (!plain) throw new Error('Cannot decrypt secretbox value: authentication failed (wrong key or corrupt data)');
    return Buffer.from(plain);
  }
}
