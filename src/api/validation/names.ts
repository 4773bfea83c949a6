/**
 * Name and identifier syntax checks with upstream's message texts. Each `is…` function returns the list of
 * reasons a value is invalid (empty when valid); callers wrap them into FieldErrors joined with "; ".
 * `NameValidator`s check an object's metadata.name (or a generateName prefix when `prefix` is true).
 */
import { DNS1123_LABEL_FMT, isDNS1123Subdomain, maxLenError, regexError } from '../meta/labels.js';

export { isDNS1123Subdomain } from '../meta/labels.js';

const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL_FMT}$`);
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_RE = new RegExp(`^${DNS1035_LABEL_FMT}$`);
const DNS1035_LABEL_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const CONFIG_MAP_KEY_RE = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`);
const ENV_VAR_NAME_FMT = '[-._a-zA-Z][-._a-zA-Z0-9]*';
const ENV_VAR_NAME_RE = new RegExp(`^${ENV_VAR_NAME_FMT}$`);
const C_IDENTIFIER_FMT = '[A-Za-z_][A-Za-z0-9_]*';

/** IS_NEGATIVE_ERROR_MSG is upstream's text for a negative count. */
export const IS_NEGATIVE_ERROR_MSG = 'must be greater than or equal to 0';
/** FIELD_IMMUTABLE_ERROR_MSG is upstream's text for a changed immutable field. */
export const FIELD_IMMUTABLE_ERROR_MSG = 'field is immutable';

/** inclusiveRangeError is upstream's "must be between" text. */
export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** isDNS1123Label: an RFC 1123 label (63 chars max). */
export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!DNS1123_LABEL_RE.test(value)) errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  return errs;
}

/** isDNS1035Label: an RFC 1035 label (service names). */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push(maxLenError(63));
  if (!DNS1035_LABEL_RE.test(value)) errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}

/** isValidPortNum: 1..65535. */
export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** isValidPortName: an IANA_SVC_NAME (15 chars, letters/digits/hyphens, at least one letter). */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

/** isConfigMapKey: a ConfigMap/Secret data key. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!CONFIG_MAP_KEY_RE.test(value)) errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** isEnvVarName: a container environment variable name. */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (!ENV_VAR_NAME_RE.test(value)) {
    errs.push(
      regexError(
        "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
        ENV_VAR_NAME_FMT,
        'my.env-name',
        'MY_ENV.NAME',
        'MyEnvName1',
      ),
    );
  }
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

/** isCIdentifier: a C identifier. */
export function isCIdentifier(value: string): string[] {
  return new RegExp(`^${C_IDENTIFIER_FMT}$`).test(value)
    ? []
    : [regexError("a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric characters or '_'", C_IDENTIFIER_FMT, 'my_name', 'MY_NAME', 'MyName')];
}

const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** isIPv4 reports whether `s` is a dotted-quad IPv4 address without leading zeros. */
export function isIPv4(s: string): boolean {
  return IPV4_RE.test(s);
}

/** isIPv6 reports whether `s` is an IPv6 address (RFC 4291 text forms, optional embedded IPv4 tail). */
export function isIPv6(s: string): boolean {
  if (!s.includes(':') || s.includes('%')) return false;
  let body = s;
  let tailGroups = 0;
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isIPv4(tail)) return false;
    body = s.slice(0, lastColon + 1) + '0';
    tailGroups = 1;
  }
  const dbl = body.split('::');
  if (dbl.length > 2) return false;
  const groupsOf = (p: string): string[] | undefined => {
    if (p === '') return [];
    const g = p.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g : undefined;
  };
  const left = groupsOf(dbl[0] ?? '');
  const right = dbl.length === 2 ? groupsOf(dbl[1] ?? '') : [];
  if (!left || !right) return false;
  const count = left.length + right.length + tailGroups;
  return dbl.length === 2 ? count <= 7 + tailGroups : count === 8 + tailGroups;
}

/** isValidIP returns upstream's reason when `s` is neither IPv4 nor IPv6. */
export function isValidIP(s: string): string[] {
  return isIPv4(s) || isIPv6(s) ? [] : ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
}

/** NameValidator checks a name, or a generateName prefix when `prefix` is true. */
export type NameValidator = (name: string, prefix: boolean) => string[];

// A generateName prefix may end in '-', which a full name may not; mask it before checking.
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name;
}

/** nameIsDNSSubdomain is the name rule of most kinds. */
export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** nameIsDNSLabel is the name rule of namespaces (and a few others). */
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** nameIsDNS1035Label is the name rule of services. */
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** pathSegmentName is the name rule of RBAC objects and others that only need to be a URL path segment. */
export const pathSegmentName: NameValidator = (name, prefix) => {
  const errs: string[] = [];
  if (!prefix) {
    if (name === '.' || name === '..') errs.push(`may not be '${name}'`);
  }
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};
