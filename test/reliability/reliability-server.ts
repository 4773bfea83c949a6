/**
 * withReliabilityServer: the server and ApiClient a reliability suite runs against, started before the suite's
 * tests and stopped after them (the hooks are registered in the calling `describe`). Restarts keep the launch flags:
 * `faultTarget` hands them to the fault injectors together with the server, the client and the workload's gate.
 */
import { after, before } from 'node:test';
import { TestCluster } from '../harness/test-cluster.js';
import { ApiClient } from './workload/api-client.js';
import type { FaultTarget } from './workload/faults.js';
import type { ServerGate } from './workload/register-workload.js';

/** ReliabilityServer is the running server of one suite; its fields may be read only inside tests and hooks. */
export interface ReliabilityServer {
  readonly cluster: TestCluster;
  readonly api: ApiClient;
  /** The flags every launch gets. */
  readonly args: readonly string[];
  /** faultTarget is what crashAndRestart and pause act on. */
  faultTarget(gate: ServerGate): FaultTarget;
}

/** withReliabilityServer registers the before/after hooks that start `tkube server` with `args` and stop it. */
export function withReliabilityServer(args: readonly string[] = [], opts: { apiTimeoutMs?: number } = {}): ReliabilityServer {
  let cluster: TestCluster | undefined;
  let api: ApiClient | undefined;
  before(async () => {
    cluster = await TestCluster.start({ args });
    api = new ApiClient(cluster, opts.apiTimeoutMs === undefined ? {} : { timeoutMs: opts.apiTimeoutMs });
  });
  after(async () => {
    api?.close();
    await cluster?.stop();
  });
  const started = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('The reliability server is not running: read it inside a test or hook of its describe');
    return v;
  };
  return {
    get cluster() {
      return started(cluster);
    },
    get api() {
      return started(api);
    },
    args,
    faultTarget(gate) {
      return { cluster: started(cluster), api: started(api), gate, args };
    },
  };
}
