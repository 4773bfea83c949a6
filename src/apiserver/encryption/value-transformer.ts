/**
 * ValueTransformer: the providers of one resources[] entry of an EncryptionConfiguration, in order. The first
 * provider writes; a read picks the provider whose prefix the value carries (the longest match), so values written
 * under any listed key still read after a key rotation. A value no prefix matches is read as plaintext only when
 * `identity` is listed and the value does not look encrypted, as upstream does: otherwise it is an error, never
 * silently accepted.
 */
import { IdentityProvider } from './identity-provider.js';
import type { EncryptionProvider } from './encryption-provider.js';

/** ValueTransformer turns stored values into plaintext and back for one set of resources. */
export class ValueTransformer {
  readonly #writer: EncryptionProvider;
  readonly #readers: readonly EncryptionProvider[];
  readonly #identity: boolean;

  constructor(providers: readonly EncryptionProvider[]) {
    const first = providers[0];
    if (!first) throw new Error('Cannot create value transformer: no providers');
    this.#writer = first;
    // Longest prefix first, so key "a" never claims values of key "ab".
    this.#readers = providers.filter((p) => p.prefix !== '').sort((a, b) => b.prefix.length - a.prefix.length);
    this.#identity = providers.some((p) => p instanceof IdentityProvider);
  }

  /** The provider that writes (the first listed). */
  get writer(): EncryptionProvider {
    return this.#writer;
  }

  /** toStorage seals a plaintext value for storage key `key`. */
  toStorage(plain: Uint8Array, key: string): Uint8Array {
    if (this.#writer.prefix === '') return plain;
    return Buffer.concat([Buffer.from(this.#writer.prefix), this.#writer.seal(plain, key)]);
  }

  /** fromStorage opens a stored value of storage key `key`. Throws when no listed provider can read it. */
  fromStorage(stored: Uint8Array, key: string): Uint8Array {
    const data = Buffer.from(stored.buffer, stored.byteOffset, stored.length);
    for (const p of this.#readers) {
      if (data.length >= p.prefix.length && data.toString('latin1', 0, p.prefix.length) === p.prefix) {
        return p.open(data.subarray(p.prefix.length), key);
      }
    }
    // Encrypted data under an unknown key is an error even with identity listed: returning ciphertext as the object
    // would only fail later, further from the cause.
    const encrypted = data.toString('latin1', 0, 8) === 'k8s:enc:';
    if (this.#identity && !encrypted) return stored;
    throw new Error(`Cannot decrypt value of "${key}": ${encrypted ? 'its key is not in the encryption configuration' : 'it is not encrypted and identity is not listed'}`);
  }
}
