/**
 * End to end: the real kubectl (v1.32, from PATH) against a small HTTP server that serves our discovery and
 * OpenAPI documents (and a canned answer to a dry-run create). It proves kubectl accepts the documents: it maps
 * resources, explains fields from the v3 schemas, and decides from the PATCH operation's parameters that the server
 * validates fields itself (`fieldValidation=Strict`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BUILTIN_RESOURCES } from '../../api/scheme.js';
import { builtinSchemas } from '../../api/schema/schema-registry.js';
import { AGGREGATED_DISCOVERY_CONTENT_TYPE } from '../discovery/aggregated-discovery.js';
import { DiscoveryDocuments } from '../discovery/discovery-documents.js';
import type { ServedDocument } from '../negotiation/served-document.js';
import { OpenApiDocuments } from './openapi-documents.js';

const run = promisify(execFile);

interface RecordedRequest {
  readonly method: string;
  readonly url: URL;
  readonly accept: string;
}

async function kubectlAvailable(): Promise<boolean> {
  try {
    await run('kubectl', ['version', '--client'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

const available = await kubectlAvailable();

void describe('kubectl against the discovery and OpenAPI documents', { skip: available ? false : 'kubectl is not on PATH' }, () => {
  const discovery = new DiscoveryDocuments({ resources: BUILTIN_RESOURCES });
  const openapi = new OpenApiDocuments({ resources: BUILTIN_RESOURCES, schemas: builtinSchemas() });
  const requests: RecordedRequest[] = [];
  let server: Server;
  let dir: string;
  let baseArgs: string[];

  function send(res: ServerResponse, doc: ServedDocument | undefined, contentType = 'application/json'): void {
    if (doc === undefined) {
      notFound(res);
      return;
    }
    res.writeHead(200, { 'content-type': contentType, etag: doc.etag });
    res.end(doc.json);
  }

  function notFound(res: ServerResponse): void {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const accept = req.headers.accept ?? '';
    requests.push({ method: req.method ?? '', url, accept });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = url.pathname;
    if (req.method === 'POST') {
      // A canned dry-run create: echo the object back.
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(Buffer.concat(chunks));
      return;
    }
    if (path === '/api' || path === '/apis') {
      const prefix = path === '/api' ? 'api' : 'apis';
      if (accept.includes('as=APIGroupDiscoveryList')) send(res, discovery.aggregated(prefix), AGGREGATED_DISCOVERY_CONTENT_TYPE);
      else send(res, prefix === 'api' ? discovery.apiVersions() : discovery.apiGroupList());
      return;
    }
    const gv = /^\/(?:api\/(v[^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (gv !== null) {
      send(res, gv[1] !== undefined ? discovery.apiResourceList('', gv[1]) : discovery.apiResourceList(gv[2] ?? '', gv[3] ?? ''));
      return;
    }
    if (path === '/openapi/v3') return send(res, openapi.v3Index());
    if (path.startsWith('/openapi/v3/')) return send(res, openapi.v3Document(path.slice('/openapi/v3/'.length)));
    if (path === '/openapi/v2' && !accept.includes('protobuf')) return send(res, openapi.v2());
    if (path === '/version') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' }));
      return;
    }
    notFound(res);
  }

  async function kubectl(...args: string[]): Promise<string> {
    const { stdout } = await run('kubectl', [...baseArgs, ...args], {
      timeout: 60_000,
      env: { ...process.env, KUBECONFIG: join(dir, 'kubeconfig'), HOME: dir },
    });
    return stdout;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tkube-kubectl-'));
    server = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    baseArgs = ['--server', `http://127.0.0.1:${port}`, '--cache-dir', join(dir, 'cache')];
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  void it('api-resources prints every resource with short names, group/version, scope and kind', async () => {
    const rows = (await kubectl('api-resources')).trim().split('\n').map((line) => line.trim().split(/\s+/));
    assert.deepEqual(rows[0], ['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND']);
    const row = (name: string, version: string): string[] | undefined => rows.find((r) => r[0] === name && r.includes(version));
    assert.deepEqual(row('pods', 'v1'), ['pods', 'po', 'v1', 'true', 'Pod']);
    assert.deepEqual(row('deployments', 'apps/v1'), ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment']);
    assert.deepEqual(row('namespaces', 'v1'), ['namespaces', 'ns', 'v1', 'false', 'Namespace']);
    assert.deepEqual(row('customresourcedefinitions', 'apiextensions.k8s.io/v1'), [
      'customresourcedefinitions', 'crd,crds', 'apiextensions.k8s.io/v1', 'false', 'CustomResourceDefinition',
    ]);
    assert.ok(requests.some((r) => r.url.pathname === '/apis' && r.accept.includes('v=v2')), 'kubectl asked for aggregated discovery');
  });

  void it('api-versions lists every group/version', async () => {
    const versions = (await kubectl('api-versions')).trim().split('\n');
    for (const gv of ['v1', 'apps/v1', 'autoscaling/v1', 'autoscaling/v2', 'rbac.authorization.k8s.io/v1']) assert.ok(versions.includes(gv), gv);
  });

  void it('explain pods.spec.containers prints the fields with their types', async () => {
    const out = await kubectl('explain', 'pods.spec.containers');
    assert.match(out, /KIND:\s+Pod/);
    assert.match(out, /FIELD: containers <\[\]Container>/);
    assert.match(out, /FIELDS:/);
    assert.match(out, /image\s+<string>/);
    assert.match(out, /ports\s+<\[\]ContainerPort>/);
    assert.match(out, /name\s+<string> -required-/);
    assert.ok(requests.some((r) => r.url.pathname === '/openapi/v3/api/v1' && r.url.searchParams.get('hash') !== null));
  });

  void it('explain deployment.spec.strategy follows references across documents', async () => {
    const out = await kubectl('explain', 'deployment.spec.strategy');
    assert.match(out, /GROUP:\s+apps/);
    assert.match(out, /FIELD: strategy <DeploymentStrategy>/);
    assert.match(out, /rollingUpdate\s+<RollingUpdateDeployment>/);
    assert.match(out, /type\s+<string>/);
  });

  void it('create -f --dry-run=server sends fieldValidation=Strict, trusting the server to validate', async () => {
    const manifest = join(dir, 'deployment.yaml');
    await writeFile(
      manifest,
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: web',
        'spec:',
        '  selector:',
        '    matchLabels: {app: web}',
        '  template:',
        '    metadata:',
        '      labels: {app: web}',
        '    spec:',
        '      containers:',
        '      - name: web',
        '        image: nginx',
        '',
      ].join('\n'),
    );
    const out = await kubectl('create', '-f', manifest, '--dry-run=server', '-o', 'name');
    assert.equal(out.trim(), 'deployment.apps/web');
    const post = requests.find((r) => r.method === 'POST');
    assert.ok(post !== undefined, 'kubectl sent the create');
    assert.equal(post.url.pathname, '/apis/apps/v1/namespaces/default/deployments');
    assert.equal(post.url.searchParams.get('fieldValidation'), 'Strict');
    assert.equal(post.url.searchParams.get('dryRun'), 'All');
    assert.ok(!requests.some((r) => r.url.pathname === '/openapi/v2'), 'no fallback to OpenAPI v2');
  });
});
