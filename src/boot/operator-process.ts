/**
 * runOperatorProcess: `tkube operator run PATH…` — operators in a process of their own, reaching the cluster
 * through a kubeconfig like any client (the in-process alternative is `tkube server --operator PATH`).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { newLogger } from '../base/log/logger.js';
import { RestClient } from '../client/rest-client.js';
import { OperatorHost, type OperatorStatus } from './operator-host.js';

/** OperatorProcessConfig says which operators to run against which cluster. */
export interface OperatorProcessConfig {
  readonly paths: readonly string[];
  /** @default $KUBECONFIG (its first file), else ~/.kube/config */
  readonly kubeconfig?: string;
  /** @default the kubeconfig's current-context */
  readonly context?: string;
  /** Reload an operator when its file changes. @default true */
  readonly watch?: boolean;
}

/** RunningOperators are started operators. */
export interface RunningOperators {
  status(): OperatorStatus[];
  stop(): Promise<void>;
}

/** defaultKubeconfigPath follows kubectl: the first file of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(): string {
  const env = process.env['KUBECONFIG'];
  const first = env?.split(':').find((p) => p !== '');
  return first ?? join(homedir(), '.kube', 'config');
}

/** runOperatorProcess connects with the kubeconfig and starts the operators (load errors are logged, not thrown). */
export async function runOperatorProcess(config: OperatorProcessConfig): Promise<RunningOperators> {
  const rest = RestClient.fromKubeconfig(config.kubeconfig ?? defaultKubeconfigPath(), {
    ...(config.context ? { context: config.context } : {}),
    userAgent: 'tkube-operator',
  });
  const host = new OperatorHost({ paths: config.paths, rest, log: newLogger('operators'), watch: config.watch ?? true });
  await host.start();
  return {
    status: () => host.status(),
    stop: async () => {
      await host.stop();
      rest.close();
    },
  };
}
