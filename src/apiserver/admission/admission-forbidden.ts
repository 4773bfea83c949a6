/** admissionForbidden: upstream's admission.NewForbidden — `pods "x" is forbidden: <reason>`, 403. */
import { newStatus, StatusError } from '../../api/meta/status-error.js';
import type { AdmissionAttributes } from './admission.js';

/** admissionForbidden refuses a write with 403 Forbidden naming the (qualified) resource and the object. */
export function admissionForbidden(attributes: AdmissionAttributes, reason: string): StatusError {
  const name = attributes.name !== '' ? attributes.name : (attributes.object?.metadata?.generateName ?? '');
  const qualified = attributes.group === '' ? attributes.resource : `${attributes.resource}.${attributes.group}`;
  return new StatusError(
    newStatus(403, 'Forbidden', `${qualified} "${name}" is forbidden: ${reason}`, {
      name,
      group: attributes.group || undefined,
      kind: attributes.resource,
    }),
  );
}
