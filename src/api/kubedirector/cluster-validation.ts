/**
 * validateCluster: the checks KubeDirector's validating webhook makes on a KubeDirectorCluster against its app,
 * with upstream's messages (pkg/validator) so users see the words KubeDirector's documentation shows:
 *   - the app must exist:      Invalid app(<app>). This app resource ID has not been registered.
 *   - every role must be one of the app's:
 *                              Invalid role(<role>) in app(<app>) specified. Valid roles: "<a>,<b>"
 *   - member counts within the role's cardinality:
 *                              Invalid member count for role(<role>). Specified member count:<n> Role cardinality:<c>
 *   - roles the app requires (selected, cardinality minimum above 0) must be listed:
 *                              Active role(<role>) in app(<app>) must have its configuration included in the roles array.
 * Returns the first problem's message, or undefined when the cluster is valid. Pure.
 */
import type { AppView, ClusterView } from './kubedirector-types.js';

/** validateCluster checks `cluster` against `app` (undefined: no such app). */
export function validateCluster(cluster: ClusterView, app: AppView | undefined): string | undefined {
  if (!app) return `Invalid app(${cluster.app}). This app resource ID has not been registered.`;
  const validRoles = app.roles.map((r) => r.id).join(',');
  const seen = new Set<string>();
  for (const role of cluster.roles) {
    const appRole = app.roles.find((r) => r.id === role.id);
    if (!appRole || !app.selectedRoles.includes(role.id)) return `Invalid role(${role.id}) in app(${cluster.app}) specified. Valid roles: "${validRoles}"`;
    if (seen.has(role.id)) return 'Each id in the roles array must be unique.';
    seen.add(role.id);
    const card = appRole.cardinality;
    const members = role.members ?? card?.min ?? 0;
    if (!card || members < 0 || members < card.min || (card.max !== undefined && members > card.max)) {
      return `Invalid member count for role(${role.id}). Specified member count:${members} Role cardinality:${appRole.cardinalityText}`;
    }
  }
  for (const id of app.selectedRoles) {
    const appRole = app.roles.find((r) => r.id === id);
    if (appRole && (appRole.cardinality?.min ?? 0) > 0 && !seen.has(id)) {
      return `Active role(${id}) in app(${cluster.app}) must have its configuration included in the roles array.`;
    }
  }
  return undefined;
}
