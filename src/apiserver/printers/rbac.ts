/**
 * RBAC tables: Role/ClusterRole (CREATED AT) and RoleBinding/ClusterRoleBinding (ROLE `Kind/name`, AGE, and
 * USERS, GROUPS, SERVICEACCOUNTS `namespace:name` with -o wide).
 */
import { obj, objects, str } from '../../api/validation/unstructured.js';
import { formatCreatedAt, translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, CREATED_AT_COLUMN, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

/** roleTable renders roles and clusterroles. */
export const roleTable: TableConvertor = {
  columns: [NAME_COLUMN, CREATED_AT_COLUMN],
  cells(role) {
    return [nameOf(role), formatCreatedAt(role.metadata?.creationTimestamp)];
  },
};

/** roleBindingTable renders rolebindings and clusterrolebindings. */
export const roleBindingTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Role', { description: 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.' }),
    AGE_COLUMN,
    column('Users', { priority: 1, description: 'Users in the roleBinding' }),
    column('Groups', { priority: 1, description: 'Groups in the roleBinding' }),
    column('ServiceAccounts', { priority: 1, description: 'ServiceAccounts in the roleBinding' }),
  ],
  cells(rb, now) {
    const ref = obj(rb['roleRef']);
    const users: string[] = [];
    const groups: string[] = [];
    const sas: string[] = [];
    for (const s of objects(rb['subjects'])) {
      const name = str(s['name']) ?? '';
      switch (s['kind']) {
        case 'User':
          users.push(name);
          break;
        case 'Group':
          groups.push(name);
          break;
        case 'ServiceAccount':
          sas.push(`${str(s['namespace']) ?? ''}:${name}`);
          break;
      }
    }
    return [
      nameOf(rb),
      `${str(ref['kind']) ?? ''}/${str(ref['name']) ?? ''}`,
      translateTimestampSince(rb.metadata?.creationTimestamp, now),
      users.join(', '),
      groups.join(', '),
      sas.join(', '),
    ];
  },
};
