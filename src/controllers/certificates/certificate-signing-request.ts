/**
 * What the certificate controllers read from a CertificateSigningRequest: its spec, its conditions, the decoded
 * PEM request, and which well-known signer shape it matches (upstream's IsKubeletServingCSR / IsKubeletClientCSR).
 */
import type { KubeObject } from '../../api/meta/types.js';
import { num, obj, objects, str, strings } from '../../api/validation/unstructured.js';
import type { ParsedCertificateRequest } from '../../pki/certificate-request.js';

export const CSRS = { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' } as const;

/** The signers this cluster's CA serves. */
export const KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';

export const NODE_USER_PREFIX = 'system:node:';
export const NODES_GROUP = 'system:nodes';

/** CsrFacts is a CSR read as the controllers need it. */
export interface CsrFacts {
  readonly name: string;
  readonly signerName: string;
  readonly usages: readonly string[];
  readonly expirationSeconds?: number;
  readonly username: string;
  readonly groups: readonly string[];
  readonly requestBase64: string;
  readonly approved: boolean;
  readonly denied: boolean;
  readonly failed: boolean;
  readonly issued: boolean;
}

/** csrFacts reads a CSR object. */
export function csrFacts(csr: KubeObject): CsrFacts {
  const spec = obj(csr['spec']);
  const status = obj(csr['status']);
  const types = new Set(objects(status['conditions']).filter((c) => str(c['status']) === 'True').map((c) => str(c['type']) ?? ''));
  const exp = num(spec['expirationSeconds']);
  return {
    name: csr.metadata?.name ?? '',
    signerName: str(spec['signerName']) ?? '',
    usages: strings(spec['usages']),
    ...(exp !== undefined ? { expirationSeconds: exp } : {}),
    username: str(spec['username']) ?? '',
    groups: strings(spec['groups']),
    requestBase64: str(spec['request']) ?? '',
    approved: types.has('Approved'),
    denied: types.has('Denied'),
    failed: types.has('Failed'),
    issued: (str(status['certificate']) ?? '') !== '',
  };
}

function subset(have: readonly string[], allowed: readonly string[]): boolean {
  return have.every((u) => allowed.includes(u));
}

/** The node name a `system:node:<name>` subject or user names; undefined for anything else. */
export function nodeNameOf(user: string): string | undefined {
  return user.startsWith(NODE_USER_PREFIX) && user.length > NODE_USER_PREFIX.length ? user.slice(NODE_USER_PREFIX.length) : undefined;
}

function isNodeSubject(req: ParsedCertificateRequest): boolean {
  return nodeNameOf(req.commonName) !== undefined && req.organizations.length === 1 && req.organizations[0] === NODES_GROUP;
}

/**
 * kubeletServingProblem says why a request is not a kubelet serving certificate request (undefined when it is):
 * subject `system:node:<name>` in `system:nodes`, at least one DNS or IP name and no other kind, and usages within
 * digital signature, key encipherment and server auth, server auth included.
 */
export function kubeletServingProblem(req: ParsedCertificateRequest, usages: readonly string[]): string | undefined {
  if (!isNodeSubject(req)) return `subject must be CN=system:node:<name>, O=${NODES_GROUP}`;
  if (req.dnsNames.length + req.ipAddresses.length === 0) return 'at least one DNS or IP subject alternative name is required';
  if (req.emailAddresses.length > 0 || req.uris.length > 0) return 'email and URI subject alternative names are not allowed';
  if (!subset(usages, ['digital signature', 'key encipherment', 'server auth']) || !usages.includes('server auth')) return 'usages must include "server auth" and only "digital signature", "key encipherment" besides';
  return undefined;
}

/**
 * kubeletClientProblem says why a request is not a kubelet client certificate request: subject
 * `system:node:<name>` in `system:nodes`, no subject alternative names, usages within digital signature, key
 * encipherment and client auth, client auth included.
 */
export function kubeletClientProblem(req: ParsedCertificateRequest, usages: readonly string[]): string | undefined {
  if (!isNodeSubject(req)) return `subject must be CN=system:node:<name>, O=${NODES_GROUP}`;
  if (req.dnsNames.length + req.ipAddresses.length + req.emailAddresses.length + req.uris.length > 0) return 'subject alternative names are not allowed';
  if (!subset(usages, ['digital signature', 'key encipherment', 'client auth']) || !usages.includes('client auth')) return 'usages must include "client auth" and only "digital signature", "key encipherment" besides';
  return undefined;
}

/** apiServerClientProblem: any client certificate (usages within digital signature, key encipherment, client auth). */
export function apiServerClientProblem(_req: ParsedCertificateRequest, usages: readonly string[]): string | undefined {
  if (!subset(usages, ['digital signature', 'key encipherment', 'client auth']) || !usages.includes('client auth')) return 'usages must include "client auth" and only "digital signature", "key encipherment" besides';
  return undefined;
}

/** decodeRequestPem reads spec.request ([]byte on the wire: base64 of PEM). */
export function decodeRequestPem(requestBase64: string): string {
  return Buffer.from(requestBase64, 'base64').toString('utf8');
}
