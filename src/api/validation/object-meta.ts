/**
 * ObjectMeta validation for create and update, as upstream's ValidateObjectMeta(Update): name or generateName,
 * namespace presence by scope, labels, annotations, owner references, finalizers, and the fields an update may
 * not change (name, namespace, uid, creationTimestamp, deletion fields).
 */
import type { ObjectMeta } from '../meta/types.js';
import { fieldErrors, type FieldError } from './field-error.js';
import { validateAnnotations, validateImmutableField, validateLabelName, validateLabels, validateNonnegativeField } from './generic.js';
import { nameIsDNSLabel, nameIsDNSSubdomain, type NameValidator } from './names.js';

/** ObjectMetaOptions says how to validate the metadata of one kind. */
export interface ObjectMetaOptions {
  /** Whether the kind is namespaced (namespace required) or cluster-scoped (namespace forbidden). */
  readonly namespaced: boolean;
  /** The name rule. @default nameIsDNSSubdomain */
  readonly name?: NameValidator;
}

/** validateObjectMeta validates metadata of a new object; `field` is the path prefix ("metadata"). */
export function validateObjectMeta(meta: ObjectMeta | undefined, opts: ObjectMetaOptions, field = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const nameFn = opts.name ?? nameIsDNSSubdomain;
  const errs: FieldError[] = [];
  if (m.generateName) {
    const msgs = nameFn(m.generateName, true);
    for (const msg of msgs) errs.push(fieldErrors.invalid(`${field}.generateName`, m.generateName, msg));
  }
  if (!m.name) {
    if (!m.generateName) errs.push(fieldErrors.required(`${field}.name`, 'name or generateName is required'));
  } else {
    for (const msg of nameFn(m.name, false)) errs.push(fieldErrors.invalid(`${field}.name`, m.name, msg));
  }
  if (opts.namespaced) {
    if (!m.namespace) errs.push(fieldErrors.required(`${field}.namespace`));
    else for (const msg of nameIsDNSLabel(m.namespace, false)) errs.push(fieldErrors.invalid(`${field}.namespace`, m.namespace, msg));
  } else if (m.namespace) {
    errs.push(fieldErrors.forbidden(`${field}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateNonnegativeField(m.generation, `${field}.generation`));
  errs.push(...validateLabels(m.labels, `${field}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${field}.annotations`));
  errs.push(...validateOwnerReferences(m, `${field}.ownerReferences`));
  errs.push(...validateFinalizers(m.finalizers, `${field}.finalizers`));
  return errs;
}

function validateOwnerReferences(m: ObjectMeta, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let controller: string | undefined;
  for (const ref of m.ownerReferences ?? []) {
    if (!ref.apiVersion) errs.push(fieldErrors.required(`${field}.apiVersion`, 'must not be empty'));
    else if (ref.apiVersion.split('/').length > 2) errs.push(fieldErrors.invalid(`${field}.apiVersion`, ref.apiVersion, 'must be <group>/<version> or <version>'));
    if (!ref.kind) errs.push(fieldErrors.required(`${field}.kind`, 'must not be empty'));
    if (!ref.name) errs.push(fieldErrors.required(`${field}.name`, 'must not be empty'));
    if (!ref.uid) errs.push(fieldErrors.required(`${field}.uid`, 'must not be empty'));
    if (ref.controller === true) {
      const cur = `${ref.kind}/${ref.name}`;
      if (controller !== undefined) {
        errs.push(
          fieldErrors.invalid(field, m.ownerReferences, `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${cur}`),
        );
      } else controller = cur;
    }
  }
  return errs;
}

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';

function validateFinalizers(finalizers: readonly string[] | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) {
    // Upstream lets a few unprefixed well-known finalizers through; the rest must be qualified names.
    if (f === ORPHAN || f === FOREGROUND || f === 'kubernetes') continue;
    errs.push(...validateLabelName(f, field));
  }
  if (finalizers?.includes(ORPHAN) && finalizers.includes(FOREGROUND)) {
    errs.push(fieldErrors.invalid(field, finalizers, `finalizer ${ORPHAN} and ${FOREGROUND} cannot be both set`));
  }
  return errs;
}

/** validateObjectMetaUpdate validates metadata changes of an update (plus the create rules on the new metadata). */
export function validateObjectMetaUpdate(meta: ObjectMeta | undefined, old: ObjectMeta | undefined, opts: ObjectMetaOptions, field = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const o = old ?? {};
  const errs: FieldError[] = validateObjectMeta(m, opts, field);
  if (o.deletionTimestamp) {
    const added = (m.finalizers ?? []).filter((f) => !(o.finalizers ?? []).includes(f));
    if (added.length > 0) errs.push(fieldErrors.forbidden(`${field}.finalizers`, `no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`));
  }
  if (typeof m.generation === 'number' && typeof o.generation === 'number' && m.generation < o.generation) {
    errs.push(fieldErrors.invalid(`${field}.generation`, m.generation, 'must not be decremented'));
  }
  errs.push(...validateImmutableField(m.name, o.name, `${field}.name`));
  errs.push(...validateImmutableField(m.namespace, o.namespace, `${field}.namespace`));
  errs.push(...validateImmutableField(m.uid, o.uid, `${field}.uid`));
  errs.push(...validateImmutableField(m.creationTimestamp, o.creationTimestamp, `${field}.creationTimestamp`));
  // The store itself sets the deletion fields on graceful delete; only a client changing existing ones is an error.
  if (o.deletionTimestamp) {
    errs.push(...validateImmutableField(m.deletionTimestamp, o.deletionTimestamp, `${field}.deletionTimestamp`));
  }
  return errs;
}
