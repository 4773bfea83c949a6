/**
 * Tables of the workload controllers and their helpers: Deployment, ReplicaSet, ReplicationController,
 * StatefulSet, DaemonSet, PodTemplate, ControllerRevision. Workload kinds add CONTAINERS, IMAGES and SELECTOR
 * as `-o wide` columns.
 */
import type { KubeObject } from '../../api/meta/types.js';
import { formatLabels, formatLabelSelectorObject } from '../../api/meta/labels.js';
import { obj, strMap } from '../../api/validation/unstructured.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, column, CONTAINERS_COLUMN, containersAndImages, IMAGES_COLUMN, intOr, NAME_COLUMN, nameOf, SELECTOR_COLUMN } from './columns.js';
import type { TableConvertor } from './table.js';

function templateSpec(o: KubeObject): unknown {
  return obj(obj(o['spec'])['template'])['spec'];
}

function age(o: KubeObject, now: Date): string {
  return translateTimestampSince(o.metadata?.creationTimestamp, now);
}

/** deploymentTable renders deployments: READY `ready/desired`, UP-TO-DATE, AVAILABLE. */
export const deploymentTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Ready', { description: 'Number of the pod with ready state' }),
    column('Up-to-date', { type: 'integer', description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.' }),
    column('Available', { type: 'integer', description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells(d, now) {
    const spec = obj(d['spec']);
    const status = obj(d['status']);
    const [containers, images] = containersAndImages(templateSpec(d));
    return [
      nameOf(d),
      `${intOr(status['readyReplicas'])}/${intOr(spec['replicas'])}`,
      intOr(status['updatedReplicas']),
      intOr(status['availableReplicas']),
      age(d, now),
      containers,
      images,
      formatLabelSelectorObject(obj(spec['selector'])),
    ];
  },
};

function replicaColumns(selectorDescription: string): TableConvertor['columns'] {
  return [
    NAME_COLUMN,
    column('Desired', { type: 'integer', description: 'Replicas is the number of desired replicas.' }),
    column('Current', { type: 'integer', description: 'Replicas is the most recently observed number of replicas.' }),
    column('Ready', { type: 'integer', description: 'The number of ready replicas for this replica set.' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', { priority: 1, description: selectorDescription }),
  ];
}

/** replicaSetTable renders replicasets: DESIRED, CURRENT, READY. */
export const replicaSetTable: TableConvertor = {
  columns: replicaColumns('Selector is a label query over pods that should match the replica count.'),
  cells(rs, now) {
    const spec = obj(rs['spec']);
    const status = obj(rs['status']);
    const [containers, images] = containersAndImages(templateSpec(rs));
    return [
      nameOf(rs),
      intOr(spec['replicas']),
      intOr(status['replicas']),
      intOr(status['readyReplicas']),
      age(rs, now),
      containers,
      images,
      formatLabelSelectorObject(obj(spec['selector'])),
    ];
  },
};

/** replicationControllerTable renders replicationcontrollers (selector is a plain label map). */
export const replicationControllerTable: TableConvertor = {
  columns: replicaColumns('Selector is a label query over pods that should match the Replicas count.'),
  cells(rc, now) {
    const spec = obj(rc['spec']);
    const status = obj(rc['status']);
    const [containers, images] = containersAndImages(templateSpec(rc));
    return [
      nameOf(rc),
      intOr(spec['replicas']),
      intOr(status['replicas']),
      intOr(status['readyReplicas']),
      age(rc, now),
      containers,
      images,
      formatLabels(strMap(spec['selector'])),
    ];
  },
};

/** statefulSetTable renders statefulsets: READY `ready/desired`. */
export const statefulSetTable: TableConvertor = {
  columns: [NAME_COLUMN, column('Ready', { description: 'Number of the pod with ready state' }), AGE_COLUMN, CONTAINERS_COLUMN, IMAGES_COLUMN],
  cells(sts, now) {
    const spec = obj(sts['spec']);
    const status = obj(sts['status']);
    const [containers, images] = containersAndImages(templateSpec(sts));
    return [nameOf(sts), `${intOr(status['readyReplicas'])}/${intOr(spec['replicas'])}`, age(sts, now), containers, images];
  },
};

/** daemonSetTable renders daemonsets: DESIRED, CURRENT, READY, UP-TO-DATE, AVAILABLE, NODE SELECTOR. */
export const daemonSetTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Desired', { type: 'integer', description: 'The total number of nodes that should be running the daemon pod.' }),
    column('Current', { type: 'integer', description: 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.' }),
    column('Ready', { type: 'integer', description: 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.' }),
    column('Up-to-date', { type: 'integer', description: 'The total number of nodes that are running updated daemon pod' }),
    column('Available', { type: 'integer', description: 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.' }),
    column('Node Selector', { description: 'NodeSelector is a selector which must be true for the pod to fit on a node.' }),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    SELECTOR_COLUMN,
  ],
  cells(ds, now) {
    const spec = obj(ds['spec']);
    const status = obj(ds['status']);
    const [containers, images] = containersAndImages(templateSpec(ds));
    return [
      nameOf(ds),
      intOr(status['desiredNumberScheduled']),
      intOr(status['currentNumberScheduled']),
      intOr(status['numberReady']),
      intOr(status['updatedNumberScheduled']),
      intOr(status['numberAvailable']),
      formatLabels(strMap(obj(templateSpec(ds))['nodeSelector'])),
      age(ds, now),
      containers,
      images,
      formatLabelSelectorObject(obj(spec['selector'])),
    ];
  },
};

/** podTemplateTable renders podtemplates: CONTAINERS, IMAGES, POD LABELS. */
export const podTemplateTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Containers', { description: 'Names of each container in the template.' }),
    column('Images', { description: 'Images referenced by each container in the template.' }),
    column('Pod Labels', { description: 'The labels for the pod template.' }),
  ],
  cells(pt) {
    const template = obj(pt['template']);
    const [containers, images] = containersAndImages(template['spec']);
    return [nameOf(pt), containers, images, formatLabels(strMap(obj(template['metadata'])['labels']))];
  },
};

/** controllerRevisionTable renders controllerrevisions: CONTROLLER (`statefulset.apps/web`), REVISION. */
export const controllerRevisionTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Controller', { description: 'Controller of the object' }),
    column('Revision', { type: 'integer', description: 'Revision indicates the revision of the state represented by Data.' }),
    AGE_COLUMN,
  ],
  cells(cr, now) {
    const ref = cr.metadata?.ownerReferences?.find((r) => r.controller === true);
    let controller = '<none>';
    if (ref) {
      const slash = ref.apiVersion.indexOf('/');
      const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
      controller = `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
    }
    return [nameOf(cr), controller, intOr(cr['revision']), age(cr, now)];
  },
};
