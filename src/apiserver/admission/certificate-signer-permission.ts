/**
 * CertificateApproval and CertificateSigning (upstream's plugins of those names): approving a
 * CertificateSigningRequest (its `approval` subresource) needs the `approve` verb, and setting or changing its
 * certificate (its `status` subresource) the `sign` verb, on `signers.certificates.k8s.io` named after the
 * request's signerName — or after its domain with a wildcard (`example.com/*`). RBAC grants these with rules such
 * as ClusterRole `system:certificates.k8s.io:kubelet-serving-approver`; `system:masters` may do both.
 */
import { obj, str } from '../../api/validation/unstructured.js';
import type { Authorizer } from '../filters/authorization.js';
import type { UserInfo } from '../request/request-info.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';

async function mayUseSigner(authorizer: Authorizer, user: UserInfo, verb: string, signerName: string): Promise<boolean> {
  const names = [signerName];
  const slash = signerName.indexOf('/');
  if (slash > 0) names.push(`${signerName.slice(0, slash)}/*`);
  for (const name of names) {
    const d = await authorizer.authorize(user, {
      isResourceRequest: true,
      path: '',
      verb,
      apiPrefix: 'apis',
      apiGroup: 'certificates.k8s.io',
      apiVersion: '*',
      namespace: '',
      resource: 'signers',
      subresource: '',
      name,
      parts: ['signers', name],
    });
    if (d.allowed) return true;
  }
  return false;
}

function isCsr(a: AdmissionAttributes, subresource: string): boolean {
  return a.operation === 'UPDATE' && a.group === 'certificates.k8s.io' && a.resource === 'certificatesigningrequests' && a.subresource === subresource;
}

const signerOf = (a: AdmissionAttributes): string => str(obj(a.oldObject?.['spec'] ?? a.object?.['spec'])['signerName']) ?? '';

/** CertificateApproval: `approve` on the signer for writes to `approval`. */
export class CertificateApproval implements AdmissionPlugin {
  readonly name = 'CertificateApproval';
  readonly #authorizer: Authorizer;

  constructor(authorizer: Authorizer) {
    this.#authorizer = authorizer;
  }

  handles(a: AdmissionAttributes): boolean {
    return isCsr(a, 'approval');
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const signer = signerOf(a);
    if (!(await mayUseSigner(this.#authorizer, a.user, 'approve', signer))) throw admissionForbidden(a, `user not permitted to approve requests with signerName "${signer}"`);
  }
}

/** CertificateSigning: `sign` on the signer for `status` writes that change the certificate. */
export class CertificateSigning implements AdmissionPlugin {
  readonly name = 'CertificateSigning';
  readonly #authorizer: Authorizer;

  constructor(authorizer: Authorizer) {
    this.#authorizer = authorizer;
  }

  handles(a: AdmissionAttributes): boolean {
    return isCsr(a, 'status');
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    const before = str(obj(a.oldObject?.['status'])['certificate']) ?? '';
    const after = str(obj(a.object?.['status'])['certificate']) ?? '';
    if (before === after) return;
    const signer = signerOf(a);
    if (!(await mayUseSigner(this.#authorizer, a.user, 'sign', signer))) throw admissionForbidden(a, `user not permitted to sign requests with signerName "${signer}"`);
  }
}
