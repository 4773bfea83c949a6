/**
 * Version skew: the kubectl releases users still run (1.27 to 1.33) against one tkube server. 1.27 and 1.28 read
 * OpenAPI v2 as protobuf for apply/create -f (and fail without it); 1.29 and later read OpenAPI v3. Each version
 * runs the same everyday list: apply twice, create -f with an unknown field, explain, get, create deployment, delete.
 */
import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCommand, TestCluster, type ExecResult } from '../harness/test-cluster.js';

const VERSIONS = ['1.27', '1.28', '1.29', '1.30', '1.31', '1.32', '1.33'];
/** The versions whose apply and create -f depend on the protobuf `/openapi/v2`. */
const OPENAPI_V2_VERSIONS = new Set(['1.27', '1.28']);

function deploymentYaml(name: string, replicas: number, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: ${image}
`;
}

function podWithUnknownField(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: main
    image: busybox:1.36
    bogusField: 1
`;
}

/** columns returns the first line of a kubectl table, split into its column names. */
function columns(out: string): string[] {
  return (out.split('\n')[0] ?? '').split(/\s{2,}/).map((c) => c.trim()).filter((c) => c.length > 0);
}

function ok(r: ExecResult, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

void describe('kubectl 1.27 to 1.33 against tkube server', () => {
  let cluster: TestCluster;
  let kubectlDir = '';

  before(async () => {
    cluster = await TestCluster.start();
    kubectlDir = dirname(realpathSync((await runCommand('sh', ['-c', 'command -v kubectl'])).stdout.trim()));
  });

  after(async () => {
    await cluster?.stop();
  });

  for (const version of VERSIONS) {
    void it(`kubectl ${version}: apply, create -f validation, explain, get, create deployment, delete`, async (t) => {
      const binary = join(kubectlDir, `kubectl.${version}`);
      if (!existsSync(binary)) {
        t.skip(`${binary} is not installed`);
        return;
      }
      const tag = `skew-${version.replace('.', '-')}`;
      const run = (args: readonly string[], input?: string): Promise<ExecResult> => cluster.kubectl(args, input === undefined ? { binary } : { binary, input });

      // apply: created, then configured after a change. -v=6 logs the requests, so the OpenAPI v2 use is visible.
      const created = await run(['apply', '-f', '-', '-v=6'], deploymentYaml(tag, 1, 'nginx:1.27'));
      assert.match(ok(created, 'apply'), new RegExp(`^deployment\\.apps/${tag} created$`, 'm'));
      if (OPENAPI_V2_VERSIONS.has(version)) {
        assert.match(created.stderr, /GET https:\/\/\S+\/openapi\/v2\S* 200 OK/, `kubectl ${version} reads the protobuf /openapi/v2`);
      }
      const configured = await run(['apply', '-f', '-'], deploymentYaml(tag, 2, 'nginx:1.28'));
      assert.match(ok(configured, 'second apply'), new RegExp(`^deployment\\.apps/${tag} configured$`, 'm'));
      const image = await run(['get', 'deployment', tag, '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}']);
      assert.equal(ok(image, 'get deployment'), '2 nginx:1.28');

      // create -f with an unknown field: refused (strict validation), naming the field.
      const refused = await run(['create', '-f', '-'], podWithUnknownField(`${tag}-bad`));
      assert.notEqual(refused.code, 0, `create -f with an unknown field should fail:\n${refused.stdout}`);
      assert.match(refused.stderr, /bogusField/);
      assert.equal((await run(['get', 'pod', `${tag}-bad`])).code, 1, 'the refused pod does not exist');

      assert.match(ok(await run(['explain', 'pods.spec']), 'explain'), /containers/);

      assert.match(ok(await run(['create', 'deployment', `${tag}-gen`, '--image=nginx:1']), 'create deployment'), new RegExp(`^deployment\\.apps/${tag}-gen created$`, 'm'));
      assert.match(ok(await run(['run', `${tag}-pod`, '--image=busybox:1', '--restart=Never']), 'run'), new RegExp(`^pod/${tag}-pod created$`, 'm'));
      const pods = ok(await run(['get', 'pods', `${tag}-pod`]), 'get pods');
      assert.deepEqual(columns(pods), ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);

      const deleted = ok(await run(['delete', 'deployment', tag, `${tag}-gen`, '--wait=false']), 'delete deployments');
      assert.match(deleted, new RegExp(`^deployment\\.apps "${tag}" deleted`, 'm'));
      assert.match(deleted, new RegExp(`^deployment\\.apps "${tag}-gen" deleted`, 'm'));
      assert.match(ok(await run(['delete', 'pod', `${tag}-pod`, '--wait=false']), 'delete pod'), new RegExp(`^pod "${tag}-pod" deleted`, 'm'));
    });
  }
});
