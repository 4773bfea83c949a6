/**
 * Helm 3.17 and 4.1 against a real server: install, upgrade, rollback, history, list and uninstall of a chart written
 * for this test (Deployment, Service, ConfigMap, Secret, and a CustomResourceDefinition with one custom resource).
 * Helm 3 creates with protobuf bodies and upgrades with three-way strategic merge patches; Helm 4 applies server-side.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HELM_BINARIES, missingHelm } from '../harness/helm.js';
import { eventually, REPO_ROOT, runCommand, TestCluster, type ExecResult } from '../harness/test-cluster.js';

const CHART = join(REPO_ROOT, 'test', 'fixtures', 'charts', 'demo');

describe('Helm', () => {
  let cluster: TestCluster;
  before(async () => {
    const missing = missingHelm();
    if (missing.length > 0) throw new Error(`Helm ${missing.join(', ')} not installed: run \`node hack/ensure-helm.mjs\` (./tkube test does)`);
    cluster = await TestCluster.start();
  });
  after(async () => {
    await cluster?.stop();
  });

  for (const helm of HELM_BINARIES) {
    describe(`helm ${helm.version}`, () => {
      const major = helm.version.split('.')[0]!;
      const release = `demo-${major}`;
      const ns = `helm-${major}`;
      const run = (args: readonly string[]): Promise<ExecResult> => {
        const home = join(cluster.dataDir, `helm-home-${major}`);
        mkdirSync(home, { recursive: true });
        return runCommand(helm.path, [...args, '--kubeconfig', cluster.kubeconfig], {
          env: {
            ...process.env,
            HOME: home,
            HELM_CACHE_HOME: join(home, 'cache'),
            HELM_CONFIG_HOME: join(home, 'config'),
            HELM_DATA_HOME: join(home, 'data'),
            KUBECONFIG: cluster.kubeconfig,
          },
          timeoutMs: 120_000,
        });
      };
      const ok = async (args: readonly string[]): Promise<string> => {
        const r = await run(args);
        assert.equal(r.code, 0, `helm ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
        return r.stdout;
      };
      const get = (args: readonly string[]): Promise<string> => cluster.kubectlOk(['-n', ns, 'get', ...args]);

      it('installs the chart with its CRD and custom resource', async () => {
        await ok(['install', release, CHART, '--namespace', ns, '--create-namespace', '--wait=false']);
        assert.equal(await get(['deployment', `${release}-web`, '-o', 'jsonpath={.spec.replicas}']), '2');
        assert.equal(await get(['configmap', `${release}-config`, '-o', 'jsonpath={.data.message}']), 'hello');
        assert.equal(await get(['service', `${release}-svc`, '-o', 'jsonpath={.spec.ports[0].port}']), '80');
        assert.match(await get(['secret', `${release}-secret`, '-o', 'jsonpath={.data.password}']), /^[A-Za-z0-9+/=]+$/);
        assert.equal(await get(['widgets', `${release}-widget`, '-o', 'jsonpath={.spec.size}']), '2');
        const list = await ok(['list', '--namespace', ns]);
        assert.match(list, new RegExp(`${release}\\s+${ns}\\s+1\\s+.*deployed`));
      });

      it('upgrades with new values', async () => {
        await ok(['upgrade', release, CHART, '--namespace', ns, '--set', 'replicas=3,message=bye']);
        assert.equal(await get(['deployment', `${release}-web`, '-o', 'jsonpath={.spec.replicas}']), '3');
        assert.equal(await get(['configmap', `${release}-config`, '-o', 'jsonpath={.data.message}']), 'bye');
        assert.equal(await get(['widgets', `${release}-widget`, '-o', 'jsonpath={.spec.color}']), 'bye');
        const history = await ok(['history', release, '--namespace', ns]);
        assert.match(history, /1\s+.*superseded/);
        assert.match(history, /2\s+.*deployed/);
      });

      it('rolls back to the first revision', async () => {
        await ok(['rollback', release, '1', '--namespace', ns]);
        assert.equal(await get(['deployment', `${release}-web`, '-o', 'jsonpath={.spec.replicas}']), '2');
        assert.equal(await get(['configmap', `${release}-config`, '-o', 'jsonpath={.data.message}']), 'hello');
        const list = await ok(['list', '--namespace', ns]);
        assert.match(list, new RegExp(`${release}\\s+${ns}\\s+3\\s+.*deployed`));
      });

      it('uninstalls everything but the CRD', async () => {
        await ok(['uninstall', release, '--namespace', ns]);
        // What is left is the namespace's own kube-root-ca.crt (the root-ca-cert-publisher's, not the chart's).
        await eventually(async () => (await get(['deployments,configmaps,services,widgets', '-o', 'name'])).trim() === 'configmap/kube-root-ca.crt');
        const secrets = await get(['secrets', '-l', 'owner=helm', '-o', 'name']);
        assert.equal(secrets.trim(), '');
        assert.match(await cluster.kubectlOk(['get', 'crd', 'widgets.demo.tkube.io', '-o', 'name']), /widgets\.demo\.tkube\.io/);
        assert.equal((await ok(['list', '--namespace', ns])).trim().split('\n').length, 1, 'only the header line');
      });
    });
  }
});
