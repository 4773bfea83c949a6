/** Server-side tables of admissionregistration.k8s.io kinds, with upstream's columns. */
import type { KubeObject } from '../../api/meta/types.js';
import { obj, str } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

function count(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/** webhookConfigurationTable renders mutating and validating webhook configurations: NAME, WEBHOOKS, AGE. */
export const webhookConfigurationTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Webhooks', { type: 'integer', description: 'Webhooks indicates the number of webhooks in the configuration.' }), AGE_COLUMN],
  cells: (o: KubeObject, now) => [nameOf(o), count(o['webhooks']), translateTimestampSince(o.metadata?.creationTimestamp, now)],
};

/** validatingAdmissionPolicyTable renders policies: NAME, VALIDATIONS, PARAMKIND, AGE. */
export const validatingAdmissionPolicyTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Validations', { type: 'integer', description: 'Validations indicates the number of validation rules.' }),
    column('ParamKind', { description: 'ParamKind specifies the kind of resources used to parameterize this policy.' }),
    AGE_COLUMN,
  ],
  cells(o, now) {
    const spec = obj(o['spec']);
    const pk = obj(spec['paramKind']);
    const paramKind = str(pk['kind']) ? `${str(pk['apiVersion']) ?? ''}/${str(pk['kind']) ?? ''}` : '<unset>';
    return [nameOf(o), count(spec['validations']), paramKind, translateTimestampSince(o.metadata?.creationTimestamp, now)];
  },
};

/** validatingAdmissionPolicyBindingTable renders bindings: NAME, POLICYNAME, PARAMREF, AGE. */
export const validatingAdmissionPolicyBindingTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('PolicyName', { description: 'PolicyName references a ValidatingAdmissionPolicy name.' }),
    column('ParamRef', { description: 'ParamRef specifies the parameter resource used to configure the admission control policy.' }),
    AGE_COLUMN,
  ],
  cells(o, now) {
    const spec = obj(o['spec']);
    const ref = obj(spec['paramRef']);
    const paramRef = str(ref['name']) ? `${str(ref['namespace']) ? `${str(ref['namespace'])}/` : ''}${str(ref['name'])}` : '<unset>';
    return [nameOf(o), str(spec['policyName']) ?? '', paramRef, translateTimestampSince(o.metadata?.creationTimestamp, now)];
  },
};
