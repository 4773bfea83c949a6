/**
 * Tables of cluster-wide bookkeeping kinds: PriorityClass, Lease, CertificateSigningRequest and
 * CustomResourceDefinition.
 */
import { num, obj, objects, str } from '../../api/validation/unstructured.js';
import { formatCreatedAt, humanDuration, translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, CREATED_AT_COLUMN, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

/** priorityClassTable renders priorityclasses: VALUE, GLOBAL-DEFAULT, PREEMPTIONPOLICY. */
export const priorityClassTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Value', { type: 'integer', description: 'value represents the integer value of this priority class.' }),
    column('Global-Default', { type: 'boolean', description: 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.' }),
    AGE_COLUMN,
    column('PreemptionPolicy', { description: 'preemptionPolicy is the Policy for preempting pods with lower priority.' }),
  ],
  cells(pc, now) {
    return [nameOf(pc), num(pc['value']) ?? 0, pc['globalDefault'] === true, translateTimestampSince(pc.metadata?.creationTimestamp, now), str(pc['preemptionPolicy']) ?? ''];
  },
};

/** leaseTable renders leases: HOLDER. */
export const leaseTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Holder', { description: 'holderIdentity contains the identity of the holder of a current lease.' }), AGE_COLUMN],
  cells(lease, now) {
    return [nameOf(lease), str(obj(lease['spec'])['holderIdentity']) ?? '', translateTimestampSince(lease.metadata?.creationTimestamp, now)];
  },
};

/** certificateSigningRequestTable renders CSRs: SIGNERNAME, REQUESTOR, REQUESTEDDURATION, CONDITION. */
export const certificateSigningRequestTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    AGE_COLUMN,
    column('SignerName', { description: 'signerName indicates the requested signer, and is a qualified name.' }),
    column('Requestor', { description: 'Name of the user that created the CSR.' }),
    column('RequestedDuration', { description: 'expirationSeconds is the requested duration of validity of the issued certificate.' }),
    column('Condition', { description: 'Conditions applied to the request.' }),
  ],
  cells(csr, now) {
    const spec = obj(csr['spec']);
    // As kubectl's column: the Approved/Denied/Failed conditions, then "Issued" once a certificate is there.
    const status = obj(csr['status']);
    const conds: string[] = objects(status['conditions'])
      .map((c) => str(c['type']) ?? '')
      .filter((t) => t === 'Approved' || t === 'Denied' || t === 'Failed');
    if (conds.length > 0 && str(status['certificate'])) conds.push('Issued');
    const exp = num(spec['expirationSeconds']);
    return [
      nameOf(csr),
      translateTimestampSince(csr.metadata?.creationTimestamp, now),
      str(spec['signerName']) ?? '',
      str(spec['username']) ?? '',
      exp !== undefined ? humanDuration(exp * 1000) : '<none>',
      conds.length > 0 ? conds.join(',') : 'Pending',
    ];
  },
};

/** customResourceDefinitionTable renders CRDs: CREATED AT. */
export const customResourceDefinitionTable: TableConvertor = {
  columns: [NAME_COLUMN, CREATED_AT_COLUMN],
  cells(crd) {
    return [nameOf(crd), formatCreatedAt(crd.metadata?.creationTimestamp)];
  },
};
