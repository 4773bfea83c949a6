/**
 * startKubeDirector: the built-in KubeDirector operator. It always watches for KubeDirector's CRDs (installed with
 * `kubectl apply -f examples/kubedirector/deploy.yaml`) and runs while they exist; while it runs and this server
 * has a node, it is shown as the mirror pod `kubedirector-<node>` in the `default` namespace — where the
 * KubeDirector walkthrough's `kubectl get pods` finds the `kubedirector` pod. Removing the CRDs stops the
 * operator and removes the pod. See docs/kubedirector.md.
 */
import { RealClock } from '../base/clock/clock.js';
import type { Logger } from '../base/log/logger.js';
import { isNotFound } from '../client/api-error.js';
import type { InformerFactory } from '../client/informer/informer-factory.js';
import type { RestClient } from '../client/rest-client.js';
import { KubeDirectorOperator } from '../operators/kubedirector/kubedirector-operator.js';
import { MirrorPodPublisher } from './mirror-pod.js';

/** KUBEDIRECTOR_POD_NAMESPACE is where the operator's pod is shown. */
export const KUBEDIRECTOR_POD_NAMESPACE = 'default';
const IMAGE = 'docker.io/bluek8s/kubedirector:tkube-builtin';

/** KubeDirectorOptions configures the operator. */
export interface KubeDirectorOptions {
  readonly client: RestClient;
  readonly informers: InformerFactory;
  readonly log: Logger;
  /** The server's own node, if any: the pod is bound to it. */
  readonly node?: { readonly nodeName: string; readonly nodeIP: string };
}

/** RunningKubeDirector is the started operator. */
export interface RunningKubeDirector {
  stop(): Promise<void>;
}

/** startKubeDirector starts the CRD-gated operator; see the file comment. */
export function startKubeDirector(opts: KubeDirectorOptions): RunningKubeDirector {
  const clock = new RealClock();
  let publisher: MirrorPodPublisher | undefined;
  const podName = opts.node ? `kubedirector-${opts.node.nodeName}` : '';
  const onActive = (groups: readonly string[]): void => {
    if (!opts.node) return;
    if (groups.length > 0 && !publisher) {
      publisher = new MirrorPodPublisher({
        client: opts.client,
        namespace: KUBEDIRECTOR_POD_NAMESPACE,
        name: podName,
        nodeName: opts.node.nodeName,
        nodeIP: opts.node.nodeIP,
        labels: { name: 'kubedirector', 'app.kubernetes.io/name': 'kubedirector' },
        containers: [{ name: 'kubedirector', image: IMAGE }],
        clock,
        log: opts.log,
      });
      void publisher.start();
    } else if (groups.length === 0 && publisher) {
      publisher.stop();
      publisher = undefined;
      opts.client.delete({ version: 'v1', resource: 'pods', namespace: KUBEDIRECTOR_POD_NAMESPACE, name: podName }, { gracePeriodSeconds: 0 }).catch((err: unknown) => {
        if (!isNotFound(err)) opts.log.warn('Cannot remove the kubedirector pod', { err: err instanceof Error ? err.message : String(err) });
      });
    }
  };
  const operator = new KubeDirectorOperator({ client: opts.client, informers: opts.informers, clock, log: opts.log, onActive });
  return {
    stop: async () => {
      publisher?.stop();
      await operator.stop();
    },
  };
}
