/**
 * startTestControlPlane: the lightest way to get a real API server — the same ControlPlane `tkube server` runs,
 * on a free loopback port, over MemoryStorage, with fresh certificates in a temp dir, and nothing else (no
 * controllers unless asked for, no scheduler, node, DNS or ingress). It is what operator tests run against
 * (src/sdk/testing/), so its start-up time is part of every such test: it aims well under a second.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from '../apiserver/control-plane.js';
import { newLogger, type Logger } from '../base/log/logger.js';
import { writeKubeconfig } from '../client/kubeconfig.js';
import { RestClient } from '../client/rest-client.js';
import type { ControllerManager } from '../controllers/manager.js';
import { ensureClusterCertificates } from '../pki/cluster-certificates.js';
import { MemoryStorage } from '../storage/memory/memory-storage.js';

/** TestControlPlaneOptions tune startTestControlPlane. */
export interface TestControlPlaneOptions {
  /**
   * Built-in controllers to run as well, in `--controllers` syntax (e.g. "garbagecollector,namespace").
   * @default none
   */
  readonly controllers?: string;
  /** "AlwaysAllow" skips the RBAC bootstrap (faster); "RBAC" checks every request as `tkube server` does. @default "AlwaysAllow" */
  readonly authorizationMode?: 'RBAC' | 'AlwaysAllow';
  /** Log the API server's info lines too. @default only warnings and errors */
  readonly verbose?: boolean;
}

/** RunningTestControlPlane is a started test API server. */
export interface RunningTestControlPlane {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** An admin kubeconfig file (for kubectl or a separate operator process). */
  readonly kubeconfigPath: string;
  readonly caPem: string;
  /** Makes an admin RestClient (the caller closes it). */
  newAdminClient(userAgent?: string): RestClient;
  /** Stops controllers and the API server and removes the temp dir. */
  stop(): Promise<void>;
}

/** quietLogger passes warnings and errors on and drops the rest: tests read their own output, not the server's. */
function quietLogger(component: string): Logger {
  const real = newLogger(component);
  const quiet: Logger = {
    error: (m, f) => real.error(m, f),
    warn: (m, f) => real.warn(m, f),
    info: () => undefined,
    debug: () => undefined,
    child: (c) => quietLogger(`${component}.${c}`),
  };
  return quiet;
}

/** startTestControlPlane starts an in-memory API server on a free loopback port. */
export async function startTestControlPlane(options: TestControlPlaneOptions = {}): Promise<RunningTestControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'tkube-testenv-'));
  const log = options.verbose ? newLogger('testenv') : quietLogger('testenv');
  const clients: RestClient[] = [];
  let cp: ControlPlane | undefined;
  let controllers: ControllerManager | undefined;
  const cleanup = async (): Promise<void> => {
    await controllers?.stop();
    for (const c of clients.splice(0)) c.close();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const certs = await ensureClusterCertificates({ dataDir: dir });
    cp = new ControlPlane({
      storage: new MemoryStorage(),
      bindAddress: '127.0.0.1',
      port: 0,
      tls: { certPem: certs.serving.certPem, keyPem: certs.serving.keyPem, clientCaPem: certs.ca.pem.certPem },
      serviceAccountKeyPem: certs.serviceAccountKeyPem,
      serviceCidr: '10.43.0.0/16',
      kubernetesServiceIp: '10.43.0.1',
      advertiseAddress: '127.0.0.1',
      log: log.child('apiserver'),
      authorizationMode: options.authorizationMode ?? 'AlwaysAllow',
    });
    const port = await cp.start();
    const url = `https://127.0.0.1:${port}`;
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeKubeconfig(kubeconfigPath, { name: 'tkube-test', server: url, caPem: certs.ca.pem.certPem, clientCertPem: certs.admin.certPem, clientKeyPem: certs.admin.keyPem });
    const newAdminClient = (userAgent = 'tkube-test'): RestClient =>
      new RestClient({ server: url, caPem: certs.ca.pem.certPem, clientCertPem: certs.admin.certPem, clientKeyPem: certs.admin.keyPem, userAgent });
    if (options.controllers) {
      // Loaded only when asked for: the controller table imports every built-in controller, which costs seconds
      // of module loading that an operator test without them should not pay.
      const { ControllerManager: Manager } = await import('../controllers/manager.js');
      const client = newAdminClient('tkube-controller-manager');
      clients.push(client);
      controllers = new Manager({ client, controllers: options.controllers, log: log.child('controller-manager'), settings: { rootCAPem: certs.ca.pem.certPem } });
      await controllers.start();
    }
    return { url, kubeconfigPath, caPem: certs.ca.pem.certPem, newAdminClient, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
