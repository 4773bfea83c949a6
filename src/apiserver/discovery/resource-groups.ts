/**
 * Resource groups: the served resources arranged by API group and version, the shape every discovery document
 * is built from. Groups keep the order in which they first appear in the resource list (the scheme lists them in
 * publication order); a group's versions come preferred first, then by Kubernetes version priority; a version's
 * resources are sorted by plural name, as upstream serves them.
 */
import type { ResourceInfo } from '../../api/scheme.js';
import { compareVersionPriority } from './version-priority.js';

/** ResourceGroupVersion holds the resources served at one group/version. */
export interface ResourceGroupVersion {
  readonly version: string;
  /** Sorted by plural resource name. */
  readonly resources: readonly ResourceInfo[];
}

/** ResourceGroup holds one API group; the core group has the empty name. */
export interface ResourceGroup {
  readonly name: string;
  /** The preferred version; always `versions[0].version`. */
  readonly preferredVersion: string;
  /** Preferred first, then by version priority. Never empty. */
  readonly versions: readonly ResourceGroupVersion[];
}

/**
 * groupResources arranges resources by group and version. `preferredVersions` overrides the preferred version per
 * group; otherwise the highest-priority version is preferred. An override naming a version the group does not
 * serve is ignored.
 */
export function groupResources(
  resources: readonly ResourceInfo[],
  preferredVersions: Readonly<Record<string, string>> = {},
): ResourceGroup[] {
  const byGroup = new Map<string, Map<string, ResourceInfo[]>>();
  for (const info of resources) {
    let versions = byGroup.get(info.group);
    if (versions === undefined) {
      versions = new Map();
      byGroup.set(info.group, versions);
    }
    let list = versions.get(info.version);
    if (list === undefined) {
      list = [];
      versions.set(info.version, list);
    }
    list.push(info);
  }
  const groups: ResourceGroup[] = [];
  for (const [name, versions] of byGroup) {
    const names = [...versions.keys()].sort(compareVersionPriority);
    const wanted = preferredVersions[name];
    if (wanted !== undefined && versions.has(wanted)) {
      names.splice(names.indexOf(wanted), 1);
      names.unshift(wanted);
    }
    const ordered = names.map((version) => ({
      version,
      resources: [...(versions.get(version) ?? [])].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0)),
    }));
    groups.push({ name, preferredVersion: names[0] ?? '', versions: ordered });
  }
  // The core group is served under /api, apart from the rest; keeping it first makes that split trivial.
  groups.sort((a, b) => (a.name === '' ? -1 : b.name === '' ? 1 : 0));
  return groups;
}
