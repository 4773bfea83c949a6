/**
 * Node table: NAME, STATUS (`Ready`, `NotReady`, `Unknown`, plus `,SchedulingDisabled`), ROLES, AGE, VERSION
 * (+ INTERNAL-IP, EXTERNAL-IP, OS-IMAGE, KERNEL-VERSION, CONTAINER-RUNTIME with -o wide).
 */
import type { KubeObject } from '../../api/meta/types.js';
import { obj, objects, str } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, NAME_COLUMN, nameOf } from './columns.js';
import type { TableConvertor } from './table.js';

const ROLE_PREFIX = 'node-role.kubernetes.io/';
const LEGACY_ROLE_LABEL = 'kubernetes.io/role';

/** nodeRoles returns the sorted roles from `node-role.kubernetes.io/<role>` labels and the legacy `kubernetes.io/role`. */
export function nodeRoles(node: KubeObject): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === LEGACY_ROLE_LABEL && v) roles.add(v);
  }
  return [...roles].sort();
}

/** nodeStatus renders the STATUS cell. */
export function nodeStatus(node: KubeObject): string {
  const parts: string[] = [];
  const ready = objects(obj(node['status'])['conditions']).find((c) => c['type'] === 'Ready');
  if (ready) parts.push(ready['status'] === 'True' ? 'Ready' : 'NotReady');
  else parts.push('Unknown');
  if (obj(node['spec'])['unschedulable'] === true) parts.push('SchedulingDisabled');
  return parts.join(',');
}

function address(node: KubeObject, type: string): string {
  return str(objects(obj(node['status'])['addresses']).find((a) => a['type'] === type)?.['address']) || '<none>';
}

/** nodeTable renders nodes. */
export const nodeTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Status', { description: 'The status of the node' }),
    column('Roles', { description: 'The roles of the node' }),
    AGE_COLUMN,
    column('Version', { description: 'Kubelet Version reported by the node.' }),
    column('Internal-IP', { priority: 1, description: 'List of addresses reachable to the node. Queried from cloud provider, if available.' }),
    column('External-IP', { priority: 1, description: 'List of addresses reachable to the node. Queried from cloud provider, if available.' }),
    column('OS-Image', { priority: 1, description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).' }),
    column('Kernel-Version', { priority: 1, description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." }),
    column('Container-Runtime', { priority: 1, description: 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).' }),
  ],
  cells(node, now) {
    const info = obj(obj(node['status'])['nodeInfo']);
    const roles = nodeRoles(node).join(',');
    return [
      nameOf(node),
      nodeStatus(node),
      roles || '<none>',
      translateTimestampSince(node.metadata?.creationTimestamp, now),
      str(info['kubeletVersion']) ?? '',
      address(node, 'InternalIP'),
      address(node, 'ExternalIP'),
      str(info['osImage']) || '<unknown>',
      str(info['kernelVersion']) || '<unknown>',
      str(info['containerRuntimeVersion']) || '<unknown>',
    ];
  },
};
