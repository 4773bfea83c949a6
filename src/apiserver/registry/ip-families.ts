/**
 * initIPFamilyFields: upstream's initIPFamilyFields (pkg/registry/core/service/storage/alloc.go) — settle a
 * Service's `ipFamilyPolicy` and `ipFamilies` against the cluster's service ranges before cluster IPs are
 * allocated. The rules, as upstream:
 *  - no policy: the stored Service's on update; RequireDualStack for a headless Service without a selector;
 *    otherwise SingleStack;
 *  - a PreferDualStack Service whose addresses and families did not change is left alone, so a cluster that
 *    became (or stopped being) dual-stack does not upgrade or downgrade it behind the user's back;
 *  - SingleStack on update drops an unchanged secondary IP and family (the user's way to downgrade); any other
 *    policy may not drop them;
 *  - SingleStack may not come with two IPs or two families;
 *  - families missing from `ipFamilies` are taken from the requested `clusterIPs`, which must be of a family the
 *    cluster has a range for;
 *  - headless without a selector: any family, dual unless SingleStack, whatever the cluster has;
 *  - otherwise RequireDualStack needs a dual-stack cluster, each family needs a range, no families means the
 *    default (first) family, and a dual-stack policy on a dual-stack cluster adds the other family.
 * Errors are 422s with upstream's field paths and messages.
 */
import { invalid } from '../../api/meta/status-error.js';
import type { StatusCause } from '../../api/meta/types.js';
import type { IPFamily } from '../../base/net/ip-address.js';

/** The spec fields initIPFamilyFields reads and writes. */
export interface IPFamilySpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  selector?: Record<string, string>;
  [field: string]: unknown;
}

/** The cluster's side: its service range families (default first) and the Service's name for errors. */
export interface IPFamilyContext {
  readonly families: readonly IPFamily[];
  readonly name: string;
}

function familyOf(ip: string): IPFamily {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

function other(f: string): IPFamily {
  return f === 'IPv4' ? 'IPv6' : 'IPv4';
}

function same(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

/** reduced: the update has fewer entries than the stored Service while keeping its first ones (a downgrade). */
function reduced(now: readonly string[] | undefined, before: readonly string[] | undefined): boolean {
  const n = now ?? [];
  const b = before ?? [];
  return n.length > 0 && n.length < b.length;
}

function cause(field: string, value: unknown, message: string): StatusCause {
  const shown = Array.isArray(value) ? `[]string{${value.map((v) => JSON.stringify(v)).join(', ')}}` : JSON.stringify(value);
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${shown}: ${message}` };
}

/**
 * initIPFamilyFields settles `spec.ipFamilyPolicy` / `spec.ipFamilies` (in place) and returns the families to
 * allocate cluster IPs for, in order; ExternalName Services are left as they are (no families). Throws a 422
 * StatusError when the Service asks for what the cluster cannot give.
 */
export function initIPFamilyFields(spec: IPFamilySpec, old: IPFamilySpec | undefined, ctx: IPFamilyContext): string[] {
  if ((spec.type ?? 'ClusterIP') === 'ExternalName') return [];
  const oldSpec = old && (old.type ?? 'ClusterIP') !== 'ExternalName' ? old : undefined;
  const headless = spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None';
  const selectorless = Object.keys(spec.selector ?? {}).length === 0;

  if (
    oldSpec &&
    oldSpec.ipFamilyPolicy === 'PreferDualStack' &&
    (spec.ipFamilyPolicy === undefined || spec.ipFamilyPolicy === 'PreferDualStack') &&
    same(spec.clusterIPs, oldSpec.clusterIPs) &&
    same(spec.ipFamilies, oldSpec.ipFamilies)
  ) {
    spec.ipFamilyPolicy = 'PreferDualStack';
    return [...(spec.ipFamilies ?? [])];
  }

  if (spec.ipFamilyPolicy === undefined) {
    if (oldSpec?.ipFamilyPolicy !== undefined) spec.ipFamilyPolicy = oldSpec.ipFamilyPolicy;
    else if (headless && selectorless) spec.ipFamilyPolicy = 'RequireDualStack';
    else spec.ipFamilyPolicy = 'SingleStack';
  }
  const policy = spec.ipFamilyPolicy;
  const causes: StatusCause[] = [];

  if (oldSpec) {
    if (policy === 'SingleStack') {
      if (same(spec.clusterIPs, oldSpec.clusterIPs) && (spec.clusterIPs?.length ?? 0) > 1) spec.clusterIPs = spec.clusterIPs?.slice(0, 1);
      if (same(spec.ipFamilies, oldSpec.ipFamilies) && (spec.ipFamilies?.length ?? 0) > 1) spec.ipFamilies = spec.ipFamilies?.slice(0, 1);
    } else {
      if (reduced(spec.clusterIPs, oldSpec.clusterIPs)) causes.push(cause('spec.ipFamilyPolicy', policy, "must be 'SingleStack' to release the secondary cluster IP"));
      if (reduced(spec.ipFamilies, oldSpec.ipFamilies)) causes.push(cause('spec.ipFamilyPolicy', policy, "must be 'SingleStack' to release the secondary IP family"));
    }
  }
  if (policy === 'SingleStack') {
    if (spec.clusterIPs?.length === 2) causes.push(cause('spec.ipFamilyPolicy', policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
    if (spec.ipFamilies?.length === 2) causes.push(cause('spec.ipFamilyPolicy', policy, "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
  }

  const families = [...(spec.ipFamilies ?? [])];
  const clusterIPs = spec.clusterIPs ?? [];
  for (let i = 0; i < clusterIPs.length; i++) {
    const ip = clusterIPs[i] ?? '';
    if (ip === 'None') break;
    if (ip === '' || i < families.length) continue;
    const family = familyOf(ip);
    if (!ctx.families.includes(family)) causes.push(cause(`spec.clusterIPs[${i}]`, clusterIPs, `${family} is not configured on this cluster`));
    else families.push(family);
  }
  if (causes.length > 0) throw invalid('Service', '', ctx.name, causes);

  const defaultFamily = ctx.families[0] ?? 'IPv4';
  if (headless && selectorless) {
    if (families.length === 0) families.push(defaultFamily);
    if (families.length < 2 && policy !== 'SingleStack') families.push(other(families[0] ?? defaultFamily));
    spec.ipFamilies = families;
    // Headless: no addresses are allocated, whatever the families.
    return families;
  }

  if (policy === 'RequireDualStack' && ctx.families.length < 2) causes.push(cause('spec.ipFamilyPolicy', policy, 'this cluster is not configured for dual-stack services'));
  families.forEach((f, i) => {
    if (!ctx.families.includes(f as IPFamily)) causes.push(cause(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
  });
  if (causes.length > 0) throw invalid('Service', '', ctx.name, causes);

  if (families.length === 0) families.push(defaultFamily);
  if (policy !== 'SingleStack' && families.length === 1 && ctx.families.length === 2) families.push(other(families[0] ?? defaultFamily));
  spec.ipFamilies = families;
  return families;
}
