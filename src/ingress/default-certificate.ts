/**
 * The certificate the HTTPS listener shows when no Ingress TLS Secret covers the requested name: self-signed
 * by a throw-away CA made at start (like ingress controllers' "fake certificate"), so clients must not trust it.
 */
import { CertificateAuthority, type PemPair } from '../pki/certificate-authority.js';

/** DEFAULT_CERTIFICATE_CN is the subject common name of the default certificate. */
export const DEFAULT_CERTIFICATE_CN = 'TKUBE INGRESS DEFAULT CERT';

/** makeDefaultCertificate issues a fresh serving certificate for `ingress.local`. */
export async function makeDefaultCertificate(): Promise<PemPair> {
  const ca = await CertificateAuthority.create('tkube-ingress-default-ca');
  const leaf = await ca.issue({ commonName: DEFAULT_CERTIFICATE_CN, dnsNames: ['ingress.local'], usage: 'server' });
  // The chain lets a client that pins the throw-away CA verify; browsers will warn either way.
  return { certPem: leaf.certPem + ca.pem.certPem, keyPem: leaf.keyPem };
}
