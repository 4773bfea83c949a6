/**
 * CertificateSubjectRestriction (upstream's plugin of the same name): a `kubernetes.io/kube-apiserver-client`
 * certificate request may not ask for the `system:masters` group, whoever asks — a certificate in that group
 * would bypass authorization and could not be revoked. Other signers are left to their own policy.
 */
import { obj, str } from '../../api/validation/unstructured.js';
import { parseCertificateRequest } from '../../pki/certificate-request.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';

const MASTERS_GROUP = 'system:masters';

/** CertificateSubjectRestriction refuses kube-apiserver-client CSRs for system:masters. */
export class CertificateSubjectRestriction implements AdmissionPlugin {
  readonly name = 'CertificateSubjectRestriction';

  handles(a: AdmissionAttributes): boolean {
    return a.operation === 'CREATE' && a.group === 'certificates.k8s.io' && a.resource === 'certificatesigningrequests' && a.subresource === '';
  }

  validate(a: AdmissionAttributes): void {
    const spec = obj(a.object?.['spec']);
    if (str(spec['signerName']) !== 'kubernetes.io/kube-apiserver-client') return;
    // An unparsable request is the strategy's to refuse, with its own field error.
    const parsed = parseCertificateRequest(Buffer.from(str(spec['request']) ?? '', 'base64').toString('utf8'));
    if (parsed.ok && parsed.csr.organizations.includes(MASTERS_GROUP)) {
      throw admissionForbidden(a, `use of kubernetes.io/kube-apiserver-client signer with ${MASTERS_GROUP} group is not allowed`);
    }
  }
}
