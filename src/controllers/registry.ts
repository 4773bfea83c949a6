/**
 * The controller table: every controller the manager knows, in start order. Adding a controller is adding a row.
 */
import type { ControllerDescriptor } from './controller-descriptor.js';
import { BOOTSTRAP_SIGNER } from './bootstrap/bootstrap-signer.js';
import { TOKEN_CLEANER } from './bootstrap/token-cleaner.js';
import { CRONJOB_CONTROLLER } from './cronjob/cronjob-controller.js';
import { DAEMONSET_CONTROLLER } from './daemonset/daemonset-controller.js';
import { DISRUPTION_CONTROLLER } from './disruption/disruption-controller.js';
import { CSRAPPROVING_CONTROLLER } from './certificates/csr-approving-controller.js';
import { CSRCLEANER_CONTROLLER } from './certificates/csr-cleaner-controller.js';
import { CSRSIGNING_CONTROLLER } from './certificates/csr-signing-controller.js';
import { CLUSTERROLE_AGGREGATION_CONTROLLER } from './clusterrole-aggregation-controller.js';
import { DEPLOYMENT_CONTROLLER } from './deployment/deployment-controller.js';
import { ENDPOINTS_CONTROLLER } from './endpoints/endpoints-controller.js';
import { ENDPOINTSLICE_CONTROLLER } from './endpoints/endpointslice-controller.js';
import { GARBAGE_COLLECTOR_CONTROLLER } from './garbage-collector/garbage-collector.js';
import { HORIZONTAL_POD_AUTOSCALER_CONTROLLER } from './podautoscaler/horizontal-controller.js';
import { JOB_CONTROLLER } from './job/job-controller.js';
import { NAMESPACE_CONTROLLER } from './namespace-controller.js';
import { NODE_LIFECYCLE_CONTROLLER } from './nodelifecycle/node-lifecycle-controller.js';
import { POD_GC_CONTROLLER } from './podgc/pod-gc-controller.js';
import { REPLICASET_CONTROLLER, REPLICATIONCONTROLLER_CONTROLLER } from './replication/replica-set-controller.js';
import { ROOT_CA_CERT_PUBLISHER } from './rootcacertpublisher/root-ca-cert-publisher.js';
import { SERVICEACCOUNT_CONTROLLER } from './serviceaccount-controller.js';
import { SERVICELB_CONTROLLER } from './servicelb/service-lb-controller.js';
import { NODEIPAM_CONTROLLER } from './nodeipam/node-ipam-controller.js';
import { PERSISTENTVOLUME_CONTROLLER } from './volume/persistent-volume-controller.js';
import { STATEFULSET_CONTROLLER } from './statefulset/statefulset-controller.js';

/** CONTROLLERS lists the built-in controllers. */
export const CONTROLLERS: readonly ControllerDescriptor[] = [
  NAMESPACE_CONTROLLER,
  SERVICEACCOUNT_CONTROLLER,
  ROOT_CA_CERT_PUBLISHER,
  NODEIPAM_CONTROLLER,
  PERSISTENTVOLUME_CONTROLLER,
  REPLICATIONCONTROLLER_CONTROLLER,
  REPLICASET_CONTROLLER,
  DEPLOYMENT_CONTROLLER,
  ENDPOINTS_CONTROLLER,
  ENDPOINTSLICE_CONTROLLER,
  SERVICELB_CONTROLLER,
  JOB_CONTROLLER,
  CRONJOB_CONTROLLER,
  STATEFULSET_CONTROLLER,
  DAEMONSET_CONTROLLER,
  HORIZONTAL_POD_AUTOSCALER_CONTROLLER,
  NODE_LIFECYCLE_CONTROLLER,
  DISRUPTION_CONTROLLER,
  POD_GC_CONTROLLER,
  GARBAGE_COLLECTOR_CONTROLLER,
  CLUSTERROLE_AGGREGATION_CONTROLLER,
  CSRAPPROVING_CONTROLLER,
  CSRSIGNING_CONTROLLER,
  CSRCLEANER_CONTROLLER,
  BOOTSTRAP_SIGNER,
  TOKEN_CLEANER,
];
