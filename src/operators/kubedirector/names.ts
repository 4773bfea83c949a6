/**
 * The names and labels of what the operator makes for a KubeDirectorCluster. Pods follow the scheme
 * `<cluster>-<role>-<suffix>-<ordinal>`: the StatefulSet of a role is `<cluster>-<role>-<suffix>`, the suffix five
 * characters derived from the cluster's uid and the role, so a re-created cluster of the same name gets new names
 * (as upstream's random `kdss-` names) while every reconcile of one cluster computes the same ones.
 */
import { createHash } from 'node:crypto';

/** clusterLabel is the label naming the KubeDirectorCluster an object belongs to (upstream's key in each group). */
export const clusterLabel = (group: string): string => `${group}/kdcluster`;
/** roleLabel is the label naming the role of a StatefulSet, its pods and its members' Services. */
export const roleLabel = (group: string): string => `${group}/role`;
/** appLabel names the KubeDirectorApp. */
export const appLabel = (group: string): string => `${group}/kdapp`;
/** CLEANUP_FINALIZER keeps a deleted cluster until the operator removed what it made (upstream's finalizer). */
export const cleanupFinalizer = (group: string): string => `${group}/cleanup`;

/** CONFIGMETA_DIR is where members find their configuration (KubeDirector's path). */
export const CONFIGMETA_DIR = '/etc/guestconfig';
export const CONFIGMETA_FILE = 'configmeta.json';

/** roleSuffix is five lower-case alphanumerics derived from the cluster's uid and the role id. */
export function roleSuffix(clusterUid: string, role: string): string {
  const digest = createHash('sha256').update(`${clusterUid}/${role}`).digest();
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[(digest[i] ?? 0) % alphabet.length];
  return out;
}

/** statefulSetName is the StatefulSet of a role: `<cluster>-<role>-<suffix>`. */
export function statefulSetName(cluster: string, clusterUid: string, role: string): string {
  return `${cluster}-${role.toLowerCase()}-${roleSuffix(clusterUid, role)}`;
}

/** memberPodName is a member's pod: the StatefulSet's name and the ordinal. */
export const memberPodName = (statefulSet: string, ordinal: number): string => `${statefulSet}-${ordinal}`;
/** memberServiceName is the Service exposing one member's endpoints (upstream prefixes `s-`). */
export const memberServiceName = (pod: string): string => `s-${pod}`;
/** clusterServiceName is the cluster's headless Service (the StatefulSets' governing service). */
export const clusterServiceName = (cluster: string): string => cluster;
/** configMetaName is the ConfigMap holding the cluster's configmeta. */
export const configMetaName = (cluster: string): string => `${cluster}-configmeta`;
