/**
 * Validation of CustomResourceDefinition objects (422 for a bad CRD), with upstream's field paths and wording for
 * the checks users meet: the object's name, group, names, scope, versions (exactly one storage version, unique
 * names), schemas (required, structural, rules that compile), printer columns and the scale subresource's paths.
 */
import type { KubeObject } from '../../api/meta/types.js';
import type { FieldError } from '../../api/validation/field-error.js';
import { readCrd, type CrdNames } from './custom-resource-definition.js';
import { SimpleJsonPath } from './simple-json-path.js';
import { structuralErrors } from './structural-schema.js';
import { ruleCompileErrors } from './validation-rules.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const LABEL_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const VERSION_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];

function validateNames(names: CrdNames, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (names.plural === '') errs.push({ type: 'FieldValueRequired', field: `${path}.plural`, detail: '' });
  else if (!DNS1123_LABEL.test(names.plural)) errs.push({ type: 'FieldValueInvalid', field: `${path}.plural`, badValue: names.plural, detail: LABEL_MESSAGE });
  if (names.singular !== '' && !DNS1123_LABEL.test(names.singular)) errs.push({ type: 'FieldValueInvalid', field: `${path}.singular`, badValue: names.singular, detail: LABEL_MESSAGE });
  if (names.kind === '') errs.push({ type: 'FieldValueRequired', field: `${path}.kind`, detail: '' });
  else if (!KIND.test(names.kind)) errs.push({ type: 'FieldValueInvalid', field: `${path}.kind`, badValue: names.kind, detail: 'may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?' });
  if (names.listKind !== '' && names.listKind === names.kind) errs.push({ type: 'FieldValueInvalid', field: `${path}.listKind`, badValue: names.listKind, detail: 'kind and listKind may not be the same' });
  names.shortNames.forEach((s, i) => {
    if (!DNS1123_LABEL.test(s)) errs.push({ type: 'FieldValueInvalid', field: `${path}.shortNames[${i}]`, badValue: s, detail: LABEL_MESSAGE });
  });
  names.categories.forEach((s, i) => {
    if (!DNS1123_LABEL.test(s)) errs.push({ type: 'FieldValueInvalid', field: `${path}.categories[${i}]`, badValue: s, detail: LABEL_MESSAGE });
  });
  return errs;
}

/** validateCustomResourceDefinition returns the field errors of a CRD (create). */
export function validateCustomResourceDefinition(obj: KubeObject): FieldError[] {
  const crd = readCrd(obj);
  const errs: FieldError[] = [];
  if (crd.group === '') errs.push({ type: 'FieldValueRequired', field: 'spec.group', detail: '' });
  else if (!DNS1123_SUBDOMAIN.test(crd.group) || !crd.group.includes('.')) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.group', badValue: crd.group, detail: 'should be a domain with at least one dot' });
  }
  const expected = `${crd.names.plural}.${crd.group}`;
  if (crd.name !== expected) errs.push({ type: 'FieldValueInvalid', field: 'metadata.name', badValue: crd.name, detail: 'must be spec.names.plural+"."+spec.group' });
  errs.push(...validateNames(crd.names, 'spec.names'));
  if (crd.scope !== 'Cluster' && crd.scope !== 'Namespaced') {
    errs.push(crd.scope === '' ? { type: 'FieldValueRequired', field: 'spec.scope', detail: '' } : { type: 'FieldValueNotSupported', field: 'spec.scope', badValue: crd.scope, supported: ['Cluster', 'Namespaced'] });
  }
  if (crd.conversionStrategy !== 'None' && crd.conversionStrategy !== 'Webhook') {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.conversion.strategy', badValue: crd.conversionStrategy, supported: ['None', 'Webhook'] });
  }
  if (crd.conversionStrategy === 'Webhook') {
    const spec = obj['spec'] as Record<string, unknown> | undefined;
    const conversion = spec?.['conversion'] as Record<string, unknown> | undefined;
    const webhook = conversion?.['webhook'] as Record<string, unknown> | undefined;
    if (typeof webhook !== 'object' || webhook === null || typeof webhook['clientConfig'] !== 'object' || webhook['clientConfig'] === null) {
      errs.push({ type: 'FieldValueRequired', field: 'spec.conversion.webhook.clientConfig', detail: 'required when strategy is set to Webhook' });
    }
  }
  if (crd.versions.length === 0) {
    errs.push({ type: 'FieldValueRequired', field: 'spec.versions', detail: 'must have at least one version' });
  } else {
    const storage = crd.versions.filter((v) => v.storage).length;
    if (storage !== 1) errs.push({ type: 'FieldValueInvalid', field: 'spec.versions', badValue: crd.versions.map((v) => v.name), detail: 'must have exactly one version marked as storage version' });
    if (!crd.versions.some((v) => v.served)) errs.push({ type: 'FieldValueInvalid', field: 'spec.versions', badValue: crd.versions.map((v) => v.name), detail: 'must have at least one version marked as served' });
  }
  const seen = new Set<string>();
  crd.versions.forEach((v, i) => {
    const path = `spec.versions[${i}]`;
    if (v.name === '') errs.push({ type: 'FieldValueRequired', field: `${path}.name`, detail: '' });
    else if (!DNS1035_LABEL.test(v.name)) errs.push({ type: 'FieldValueInvalid', field: `${path}.name`, badValue: v.name, detail: VERSION_MESSAGE });
    if (seen.has(v.name)) errs.push({ type: 'FieldValueInvalid', field: `${path}.name`, badValue: v.name, detail: 'must be unique' });
    seen.add(v.name);
    const schemaPath = `${path}.schema.openAPIV3Schema`;
    if (v.schema === undefined) errs.push({ type: 'FieldValueRequired', field: schemaPath, detail: 'schemas are required' });
    else {
      errs.push(...structuralErrors(v.schema, schemaPath));
      errs.push(...ruleCompileErrors(v.schema, schemaPath));
    }
    v.printerColumns.forEach((c, j) => {
      const cp = `${path}.additionalPrinterColumns[${j}]`;
      if (c.name === '') errs.push({ type: 'FieldValueRequired', field: `${cp}.name`, detail: '' });
      if (!COLUMN_TYPES.includes(c.type)) errs.push({ type: 'FieldValueNotSupported', field: `${cp}.type`, badValue: c.type, supported: COLUMN_TYPES });
      if (c.jsonPath === '') errs.push({ type: 'FieldValueRequired', field: `${cp}.jsonPath`, detail: '' });
      else {
        const parsed = SimpleJsonPath.parse(c.jsonPath);
        if (!(parsed instanceof SimpleJsonPath)) errs.push({ type: 'FieldValueInvalid', field: `${cp}.jsonPath`, badValue: c.jsonPath, detail: `must be a simple json path: ${parsed.error}` });
      }
    });
    if (v.scale !== undefined) {
      const sp = `${path}.subresources.scale`;
      if (!v.scale.specReplicasPath.startsWith('.spec.')) errs.push({ type: 'FieldValueInvalid', field: `${sp}.specReplicasPath`, badValue: v.scale.specReplicasPath, detail: 'should be a json path under .spec' });
      if (!v.scale.statusReplicasPath.startsWith('.status.')) errs.push({ type: 'FieldValueInvalid', field: `${sp}.statusReplicasPath`, badValue: v.scale.statusReplicasPath, detail: 'should be a json path under .status' });
      if (v.scale.labelSelectorPath !== undefined && !/^\.(spec|status)\./.test(v.scale.labelSelectorPath)) {
        errs.push({ type: 'FieldValueInvalid', field: `${sp}.labelSelectorPath`, badValue: v.scale.labelSelectorPath, detail: 'should be a json path under either .spec or .status' });
      }
    }
  });
  return errs;
}

/** validateCustomResourceDefinitionUpdate adds the immutable fields (group, scope, names.plural via the name). */
export function validateCustomResourceDefinitionUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errs = validateCustomResourceDefinition(obj);
  const next = readCrd(obj);
  const prev = readCrd(old);
  if (next.scope !== prev.scope) errs.push({ type: 'FieldValueInvalid', field: 'spec.scope', badValue: next.scope, detail: 'field is immutable' });
  if (next.group !== prev.group) errs.push({ type: 'FieldValueInvalid', field: 'spec.group', badValue: next.group, detail: 'field is immutable' });
  return errs;
}
