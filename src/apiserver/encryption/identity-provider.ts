/**
 * IdentityProvider: values stored as they are. Listed first it turns encryption off for its resources; listed last
 * it lets a reader open data written before encryption was enabled.
 */
import type { EncryptionProvider } from './encryption-provider.js';

/** IdentityProvider implements EncryptionProvider for `identity`. */
export class IdentityProvider implements EncryptionProvider {
  readonly kind = 'identity';
  readonly keyName = '';
  readonly prefix = '';

  seal(plain: Uint8Array): Buffer {
    return Buffer.from(plain);
  }

  open(sealed: Uint8Array): Buffer {
    return Buffer.from(sealed);
  }
}
