/**
 * Service account issuer discovery (OIDC): `/.well-known/openid-configuration` names the issuer and where its keys
 * are, `/openid/v1/jwks` serves the verification keys, so other systems can verify our service-account tokens.
 * Upstream lets service accounts read both through the `system:service-account-issuer-discovery` ClusterRole.
 */
import { SERVICE_ACCOUNT_ISSUER, type TokenSigner } from './token-signer.js';

/** OPENID_CONFIGURATION_PATH and JWKS_PATH are the discovery paths. */
export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';
export const JWKS_PATH = '/openid/v1/jwks';

/** ServedText is a rendered document. */
export interface ServedText {
  readonly contentType: string;
  readonly body: string;
}

/** openIdConfiguration renders the discovery document of `issuer`. */
export function openIdConfiguration(issuer = SERVICE_ACCOUNT_ISSUER): ServedText {
  return {
    contentType: 'application/json',
    body: JSON.stringify({
      issuer,
      jwks_uri: `${issuer}${JWKS_PATH}`,
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    }),
  };
}

/** jwksDocument renders the signer's key set. */
export function jwksDocument(signer: TokenSigner): ServedText {
  return { contentType: 'application/jwk-set+json', body: JSON.stringify(signer.jwks()) };
}

/** issuerDiscoveryDocuments returns both documents keyed by path, for ApiServerConfig.extraDocuments. */
export function issuerDiscoveryDocuments(signer: TokenSigner): ReadonlyMap<string, () => ServedText> {
  const config = openIdConfiguration();
  const keys = jwksDocument(signer);
  return new Map([
    [OPENID_CONFIGURATION_PATH, () => config],
    [JWKS_PATH, () => keys],
  ]);
}
