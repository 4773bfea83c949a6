/**
 * EncryptionProvider: one key of one provider of an EncryptionConfiguration (apiserver.config.k8s.io/v1). A value it
 * writes is `<prefix><sealed bytes>`; the prefix (`k8s:enc:<provider>:v1:<keyname>:`, empty for identity) tells a
 * reader which provider and key sealed it, so several keys can be read side by side during a rotation.
 */

/** EncryptionProvider seals and opens stored values with one key. */
export interface EncryptionProvider {
  /** The provider's kind: aesgcm, aescbc, secretbox or identity. */
  readonly kind: string;
  /** The key's name from the configuration ('' for identity). */
  readonly keyName: string;
  /** Every value this provider writes starts with this prefix ('' for identity). */
  readonly prefix: string;
  /**
   * seal encrypts `plain`; the result excludes the prefix. `context` is the storage key: providers that
   * authenticate additional data bind the value to it, so a value copied to another key does not open.
   */
  seal(plain: Uint8Array, context: string): Buffer;
  /** open reverses seal (input without the prefix). Throws when the data is corrupt or the key is wrong. */
  open(sealed: Uint8Array, context: string): Buffer;
}

/** encryptionPrefix is upstream's value prefix of a provider key. */
export function encryptionPrefix(kind: string, keyName: string): string {
  return `k8s:enc:${kind}:v1:${keyName}:`;
}

/** decodeKeySecret decodes a configuration key's base64 secret and checks its length is one of `sizes` (bytes). */
export function decodeKeySecret(kind: string, keyName: string, secret: string, sizes: readonly number[]): Buffer {
  const bytes = Buffer.from(secret, 'base64');
  if (!sizes.includes(bytes.length)) {
    throw new Error(`Cannot use ${kind} key "${keyName}": the secret is ${bytes.length} bytes, want ${sizes.join(', ')} bytes (base64 encoded)`);
  }
  return bytes;
}
