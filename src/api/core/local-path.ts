/**
 * The local-path volume protocol between the PV controller (which provisions and deletes the PersistentVolume
 * objects) and the nodes (which own the directories), so neither component imports the other:
 *  - a provisioned volume is a hostPath directory `<base>/pvc-<claim uid>_<namespace>_<claim>` on its node, with
 *    node affinity to that node, the `pv.kubernetes.io/provisioned-by` annotation and LOCAL_PATH_FINALIZER;
 *  - when a Released volume with reclaim policy Delete is deleted, the finalizer keeps the object until the node
 *    removed the directory; the node then drops the finalizer and the object goes.
 */

/** LOCAL_PATH_PROVISIONER is the provisioner name of tkube's local-path StorageClass. */
export const LOCAL_PATH_PROVISIONER = 'tkube.io/local-path';
/** DEFAULT_LOCAL_PATH_BASE is where local-path volumes live on a node unless configured otherwise. */
export const DEFAULT_LOCAL_PATH_BASE = '/var/lib/tkube/storage';
/** PROVISIONED_BY_ANNOTATION is upstream's annotation naming a dynamically provisioned volume's provisioner. */
export const PROVISIONED_BY_ANNOTATION = 'pv.kubernetes.io/provisioned-by';
/** LOCAL_PATH_FINALIZER holds a local-path volume being deleted until its node removed the directory. */
export const LOCAL_PATH_FINALIZER = 'tkube.io/local-path-cleanup';
