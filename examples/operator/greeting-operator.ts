/**
 * An example operator: a `Greeting` (example.tkube.dev/v1) asks for a ConfigMap `greeting-<name>` holding its
 * message. The operator
 *   - installs the Greeting CRD (status subresource, printer columns),
 *   - keeps the ConfigMap in line with the Greeting (it is the ConfigMap's controller, so edits or a deletion of
 *     the ConfigMap wake the Greeting's reconcile),
 *   - reports a Ready condition in the Greeting's status,
 *   - holds a finalizer so it can clean up before the Greeting goes (garbage collection would too; the finalizer
 *     shows where cleanup of things outside the cluster would go).
 *
 * Run it: `tkube server --operator examples/operator/greeting-operator.ts`, or against any cluster with
 * `tkube operator run examples/operator/greeting-operator.ts`. Test: greeting-operator.test.ts.
 */
import {
  Kinds,
  TerminalError,
  createOrUpdate,
  generationChanged,
  installCRD,
  ensureFinalizer,
  hasFinalizer,
  releaseFinalizer,
  setControllerReference,
  setStatusCondition,
  type Condition,
  type Kind,
  type KubeObject,
  type Manager,
  type ReconcileRequest,
} from '../../src/sdk/index.js';

/** Names the operator in logs, events and managedFields. */
export const name = 'greeting-operator';

/** The prefix of every greeting message (edit it while the server runs: the operator is reloaded). */
export const SALUTATION = 'Hello';

export const FINALIZER = 'example.tkube.dev/cleanup';

/** Greeting is the custom resource. */
export interface Greeting extends KubeObject {
  spec?: { message?: string; to?: string };
  status?: { conditions?: Condition[]; observedGeneration?: number; configMap?: string };
}

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** configMapName is where a Greeting's message goes. */
export function configMapName(greetingName: string): string {
  return `greeting-${greetingName}`;
}

async function installGreetingCRD(manager: Manager): Promise<Kind> {
  return installCRD(manager, {
    group: 'example.tkube.dev',
    kind: 'Greeting',
    plural: 'greetings',
    shortNames: ['gr'],
    versions: [
      {
        name: 'v1',
        subresources: { status: true },
        printerColumns: [
          { name: 'To', type: 'string', jsonPath: '.spec.to' },
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        ],
        schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              required: ['to'],
              properties: { to: { type: 'string', minLength: 1 }, message: { type: 'string' } },
            },
            status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    ],
  });
}

/** setup is what the operator host calls: install the CRD, build the controller. */
export async function setup(manager: Manager): Promise<void> {
  const GreetingKind = await installGreetingCRD(manager);
  const client = manager.client;

  manager
    .controller('greeting')
    .for(GreetingKind)
    // Our own status writes do not bump metadata.generation: without this filter each would wake us once more.
    .withEventFilter(generationChanged)
    .owns(Kinds.ConfigMap)
    .complete(async (req: ReconcileRequest) => {
      const greeting = await client.get<Greeting>(GreetingKind, req);
      if (!greeting) return; // deleted: the finalizer already did the cleanup

      if (greeting.metadata?.deletionTimestamp) {
        if (!hasFinalizer(greeting, FINALIZER)) return;
        await client.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: req.namespace, name: configMapName(req.name) } });
        await releaseFinalizer(client, greeting, FINALIZER);
        return;
      }
      const current = await ensureFinalizer(client, greeting, FINALIZER);

      const to = current.spec?.to ?? '';
      // The CRD's schema requires `to`; an object written before that rule cannot be fixed by retrying.
      if (to === '') throw new TerminalError('spec.to is empty: nobody to greet');
      const message = `${SALUTATION}, ${to}!${current.spec?.message ? ` ${current.spec.message}` : ''}`;

      const cm: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: req.namespace, name: configMapName(req.name) } };
      await createOrUpdate(client, Kinds.ConfigMap, cm, (o) => {
        o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, 'example.tkube.dev/greeting': req.name } };
        o.data = { message };
        setControllerReference(current, o);
      });

      const status = structuredClone(current.status ?? {});
      const conditions = status.conditions ?? [];
      const changed = setStatusCondition(
        conditions,
        { type: 'Ready', status: 'True', reason: 'ConfigMapWritten', message: `ConfigMap ${configMapName(req.name)} holds the greeting`, observedGeneration: current.metadata?.generation },
        manager.clock.now(),
      );
      if (changed || status.configMap !== configMapName(req.name)) {
        await client.updateStatus<Greeting>({ ...current, status: { ...status, conditions, configMap: configMapName(req.name), observedGeneration: current.metadata?.generation } });
      }
    });
}
