/**
 * KubeDirectorCluster admission: what KubeDirector's validating webhook does, built in (tkube runs the operator
 * in-process, so there is no webhook Service to call). A create or spec update of a KubeDirectorCluster in either
 * KubeDirector group is checked against its KubeDirectorApp (same namespace, same group) by `validateCluster`;
 * a problem refuses the write with 403 Forbidden and upstream's message. Status writes pass untouched: the operator
 * must be able to report on a cluster whose app was since removed.
 */
import { validateCluster } from '../../api/kubedirector/cluster-validation.js';
import { appView, clusterView, isKubeDirectorGroup, KD_APPS, KD_CLUSTERS } from '../../api/kubedirector/kubedirector-types.js';
import type { AdmissionAttributes, AdmissionPlugin } from './admission.js';
import { admissionForbidden } from './admission-forbidden.js';
import type { ObjectReader } from './object-reader.js';

/** KubeDirectorClusterAdmission validates KubeDirectorClusters against their apps. */
export class KubeDirectorClusterAdmission implements AdmissionPlugin {
  readonly name = 'KubeDirectorCluster';
  readonly #reader: ObjectReader;

  constructor(reader: ObjectReader) {
    this.#reader = reader;
  }

  handles(a: AdmissionAttributes): boolean {
    return (a.operation === 'CREATE' || a.operation === 'UPDATE') && a.resource === KD_CLUSTERS && a.subresource === '' && isKubeDirectorGroup(a.group);
  }

  async validate(a: AdmissionAttributes): Promise<void> {
    if (!a.object) return;
    // Being deleted (finalizer removal): nothing to check.
    if (a.object.metadata?.deletionTimestamp) return;
    const cluster = clusterView({ ...a.object, apiVersion: `${a.group}/${a.version}` });
    const app = cluster.app === '' ? undefined : await this.#reader.get(a.group, KD_APPS, a.namespace, cluster.app);
    const problem = validateCluster(cluster, app ? appView(app) : undefined);
    if (problem !== undefined) throw admissionForbidden(a, problem);
  }
}
