/**
 * certificates.k8s.io/v1 CertificateSigningRequest: validation and the write rules of the resource and its
 * `approval` and `status` subresources (upstream's pkg/registry/certificates/certificates strategy):
 *  - create stamps the requestor (spec.username, uid, groups, extra) from the authenticated user, whatever the
 *    body says, and starts with an empty status;
 *  - the main resource and both subresources never change the spec after create;
 *  - `approval` writes only the Approved/Denied conditions (the certificate stays as stored);
 *  - `status` writes the certificate and other conditions but keeps the stored Approved/Denied conditions, so a
 *    signer cannot approve its own work.
 * `spec.request` and `status.certificate` are []byte on the wire: base64 of PEM.
 */
import type { KubeObject } from '../../../api/meta/types.js';
import { fieldErrors, type FieldError } from '../../../api/validation/field-error.js';
import { num, obj, objects, str, strings } from '../../../api/validation/unstructured.js';
import { parseCertificateRequest } from '../../../pki/certificate-request.js';
import { certificateSigningRequestTable } from '../../printers/cluster.js';
import type { ResourceStrategy } from '../strategy.js';
import { newResourceStrategy } from './resource-strategy.js';

/** KNOWN_USAGES are the `spec.usages` values certificates.k8s.io/v1 accepts. */
export const KNOWN_USAGES: readonly string[] = [
  'signing',
  'digital signature',
  'content commitment',
  'key encipherment',
  'key agreement',
  'data encipherment',
  'cert sign',
  'crl sign',
  'encipher only',
  'decipher only',
  'any',
  'server auth',
  'client auth',
  'code signing',
  'email protection',
  's/mime',
  'ipsec end system',
  'ipsec tunnel',
  'ipsec user',
  'timestamping',
  'ocsp signing',
  'microsoft sgc',
  'netscape sgc',
];

/** A qualified signer name: a DNS subdomain, a slash, and a path of DNS-ish segments. */
const SIGNER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?(\/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)*$/;
const MIN_EXPIRATION_SECONDS = 600;

/** decodeBytes reads a []byte field (base64 on the wire); undefined when it is not base64. */
export function decodeBytes(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(value)) return undefined;
  return Buffer.from(value, 'base64').toString('utf8');
}

function validateConditions(status: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  objects(status['conditions']).forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    const type = str(c['type']) ?? '';
    if (!type) errs.push(fieldErrors.required(`${p}.type`));
    else if ((type === 'Approved' || type === 'Denied' || type === 'Failed') && seen.has(type)) errs.push(fieldErrors.duplicate(`${p}.type`, type));
    seen.add(type);
    const s = str(c['status']);
    if (!s) errs.push(fieldErrors.required(`${p}.status`));
    else if (!['True', 'False', 'Unknown'].includes(s)) errs.push(fieldErrors.notSupported(`${p}.status`, s, ['False', 'True', 'Unknown']));
    else if ((type === 'Approved' || type === 'Denied') && s !== 'True') errs.push(fieldErrors.notSupported(`${p}.status`, s, ['True']));
  });
  if (seen.has('Approved') && seen.has('Denied')) errs.push(fieldErrors.invalid('status.conditions', 'Approved', 'Approved and Denied conditions are mutually exclusive'));
  const cert = status['certificate'];
  if (cert !== undefined && cert !== '') {
    const pem = decodeBytes(cert);
    if (pem === undefined || !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(pem)) errs.push(fieldErrors.invalid('status.certificate', '<certificate data>', 'must contain at least one CERTIFICATE PEM block'));
    else if (seen.has('Denied') || seen.has('Failed')) errs.push(fieldErrors.forbidden('status.certificate', 'may not be set when a Denied or Failed condition is present'));
    else if (!seen.has('Approved')) errs.push(fieldErrors.forbidden('status.certificate', 'may only be set when an Approved condition is present'));
  }
  return errs;
}

/** validateCertificateSigningRequest checks a CSR's spec (the PEM request, signer, usages, expiration) and status. */
export function validateCertificateSigningRequest(csr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = obj(csr['spec']);
  const raw = spec['request'];
  if (raw === undefined || raw === '') errs.push(fieldErrors.required('spec.request'));
  else {
    const pem = decodeBytes(raw);
    const parsed = pem === undefined ? { ok: false as const, reason: 'must be base64-encoded PEM' } : parseCertificateRequest(pem);
    if (!parsed.ok) errs.push(fieldErrors.invalid('spec.request', '<request data>', parsed.reason));
  }
  const signer = str(spec['signerName']) ?? '';
  if (!signer) errs.push(fieldErrors.required('spec.signerName'));
  else if (!SIGNER_NAME.test(signer) || signer.length > 571) errs.push(fieldErrors.invalid('spec.signerName', signer, 'must be a fully qualified domain and path of the form "example.com/signer-name"'));
  const usages = strings(spec['usages']);
  if (usages.length === 0) errs.push(fieldErrors.required('spec.usages'));
  const seen = new Set<string>();
  usages.forEach((u, i) => {
    if (!KNOWN_USAGES.includes(u)) errs.push(fieldErrors.notSupported(`spec.usages[${i}]`, u, KNOWN_USAGES));
    else if (seen.has(u)) errs.push(fieldErrors.duplicate(`spec.usages[${i}]`, u));
    seen.add(u);
  });
  const exp = spec['expirationSeconds'];
  if (exp !== undefined && exp !== null) {
    const n = num(exp);
    if (n === undefined || !Number.isInteger(n) || n < MIN_EXPIRATION_SECONDS) errs.push(fieldErrors.invalid('spec.expirationSeconds', exp, `may not specify a duration less than ${MIN_EXPIRATION_SECONDS} seconds`));
  }
  errs.push(...validateConditions(obj(csr['status'])));
  return errs;
}

function isApprovalCondition(c: Record<string, unknown>): boolean {
  const t = str(c['type']);
  return t === 'Approved' || t === 'Denied';
}

/** certificateSigningRequestStrategy is the certificates.k8s.io/v1 certificatesigningrequests policy. */
export const certificateSigningRequestStrategy: ResourceStrategy = newResourceStrategy({
  namespaced: false,
  statusSubresource: true,
  statusWriters: ['status', 'approval'],
  selectableFields: (csr) => ({ 'spec.signerName': str(obj(csr['spec'])['signerName']) ?? '' }),
  table: certificateSigningRequestTable,
  tracksGeneration: false,
  prepareForCreate(csr, ctx) {
    const spec = obj(csr['spec']);
    delete spec['username'];
    delete spec['uid'];
    delete spec['groups'];
    delete spec['extra'];
    const user = ctx.user;
    if (user) {
      if (user.username) spec['username'] = user.username;
      if (user.uid) spec['uid'] = user.uid;
      if (user.groups.length > 0) spec['groups'] = [...user.groups];
      if (user.extra && Object.keys(user.extra).length > 0) spec['extra'] = structuredClone(user.extra);
    }
    csr['spec'] = spec;
  },
  prepareForUpdate(csr, old, ctx) {
    const next = obj(csr['status']);
    const stored = obj(old['status']);
    if (ctx.subresource === 'approval') {
      // Only Approved/Denied may change here; the certificate and the signer's conditions stay as stored.
      const kept = objects(stored['conditions']).filter((c) => !isApprovalCondition(c));
      const approvals = objects(next['conditions']).filter(isApprovalCondition);
      const status: Record<string, unknown> = { ...structuredClone(stored), conditions: [...approvals, ...kept] };
      if ((status['conditions'] as unknown[]).length === 0) delete status['conditions'];
      csr['status'] = status;
    } else if (ctx.subresource === 'status') {
      const approvals = objects(stored['conditions']).filter(isApprovalCondition);
      const others = objects(next['conditions']).filter((c) => !isApprovalCondition(c));
      const status: Record<string, unknown> = { ...next, conditions: [...approvals, ...others] };
      if ((status['conditions'] as unknown[]).length === 0) delete status['conditions'];
      csr['status'] = status;
    } else {
      csr['spec'] = structuredClone(old['spec']);
    }
  },
  validate: validateCertificateSigningRequest,
});
