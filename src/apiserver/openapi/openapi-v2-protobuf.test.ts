import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_RESOURCES } from '../../api/scheme.js';
import { builtinSchemas } from '../../api/schema/schema-registry.js';
import { DiscoveryDocuments } from '../discovery/discovery-documents.js';
import { OpenApiDocuments } from './openapi-documents.js';
import {
  encodeOpenApiV2Protobuf,
  negotiateOpenApiV2,
  OPENAPI_V2_PROTOBUF_ACCEPT,
  OPENAPI_V2_PROTOBUF_MEDIA_TYPE,
  openApiV2ProtobufDocument,
  serveOpenApiV2Protobuf,
} from './openapi-v2-protobuf.js';

/**
 * Our own transcription of the field numbers of the openapi.v2 messages the tests read back (gnostic's
 * OpenAPIv2.proto), so the decoder checks the encoder against the published numbering, not against itself.
 */
const TEST_PROTO = `
syntax = "proto3";
package openapi.v2;
message Any { string yaml = 2; }
message NamedAny { string name = 1; Any value = 2; }
message Info { string title = 1; string version = 2; }
message Document {
  string swagger = 1; Info info = 2; Paths paths = 8; Definitions definitions = 9;
  repeated SecurityRequirement security = 12; SecurityDefinitions security_definitions = 13;
  repeated NamedAny vendor_extension = 16;
}
message Paths { repeated NamedAny vendor_extension = 1; repeated NamedPathItem path = 2; }
message NamedPathItem { string name = 1; PathItem value = 2; }
message PathItem {
  Operation get = 2; Operation put = 3; Operation post = 4; Operation delete = 5; Operation patch = 8;
  repeated ParametersItem parameters = 9; repeated NamedAny vendor_extension = 10;
}
message Operation {
  repeated string tags = 1; string description = 3; string operation_id = 5; repeated string produces = 6;
  repeated string consumes = 7; repeated ParametersItem parameters = 8; Responses responses = 9;
  repeated string schemes = 10; repeated NamedAny vendor_extension = 13;
}
message ParametersItem { oneof oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }
message JsonReference { string _ref = 1; string description = 2; }
message Parameter { oneof oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
message BodyParameter { string description = 1; string name = 2; string in = 3; bool required = 4; Schema schema = 5; }
message NonBodyParameter {
  oneof oneof {
    HeaderParameterSubSchema header_parameter_sub_schema = 1;
    QueryParameterSubSchema query_parameter_sub_schema = 3;
    PathParameterSubSchema path_parameter_sub_schema = 4;
  }
}
message HeaderParameterSubSchema { bool required = 1; string in = 2; string description = 3; string name = 4; string type = 5; }
message PathParameterSubSchema { bool required = 1; string in = 2; string description = 3; string name = 4; string type = 5; bool unique_items = 19; }
message QueryParameterSubSchema {
  bool required = 1; string in = 2; string description = 3; string name = 4; string type = 6; Any default = 10;
  double maximum = 11; int64 max_length = 15; bool unique_items = 20; repeated Any enum = 21;
  repeated NamedAny vendor_extension = 23;
}
message Responses { repeated NamedResponseValue response_code = 1; repeated NamedAny vendor_extension = 2; }
message NamedResponseValue { string name = 1; ResponseValue value = 2; }
message ResponseValue { oneof oneof { Response response = 1; JsonReference json_reference = 2; } }
message Response { string description = 1; SchemaItem schema = 2; }
message SchemaItem { oneof oneof { Schema schema = 1; FileSchema file_schema = 2; } }
message FileSchema { string type = 6; }
message Definitions { repeated NamedSchema additional_properties = 1; }
message Properties { repeated NamedSchema additional_properties = 1; }
message NamedSchema { string name = 1; Schema value = 2; }
message TypeItem { repeated string value = 1; }
message ItemsItem { repeated Schema schema = 1; }
message AdditionalPropertiesItem { oneof oneof { Schema schema = 1; bool boolean = 2; } }
message Schema {
  string _ref = 1; string format = 2; string description = 4; Any default = 5; double minimum = 9;
  int64 max_length = 11; repeated string required = 19; repeated Any enum = 20;
  AdditionalPropertiesItem additional_properties = 21; TypeItem type = 22; ItemsItem items = 23;
  repeated Schema all_of = 24; Properties properties = 25; repeated NamedAny vendor_extension = 31;
}
message SecurityRequirement { repeated NamedStringArray additional_properties = 1; }
message NamedStringArray { string name = 1; StringArray value = 2; }
message StringArray { repeated string value = 1; }
message SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }
message NamedSecurityDefinitionsItem { string name = 1; SecurityDefinitionsItem value = 2; }
message SecurityDefinitionsItem { oneof oneof { ApiKeySecurity api_key_security = 2; } }
message ApiKeySecurity { string type = 1; string name = 2; string in = 3; string description = 4; }
`;

const DocumentType = protobuf.parse(TEST_PROTO, { keepCase: true }).root.lookupType('openapi.v2.Document');

type Json = Record<string, unknown>;

function decode(bytes: Uint8Array): Json {
  return DocumentType.toObject(DocumentType.decode(bytes), { defaults: false, longs: Number, oneofs: false }) as Json;
}

function obj(value: unknown, what: string): Json {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value), `${what}: expected an object, got ${JSON.stringify(value)}`);
  return value as Json;
}

function list(value: unknown, what: string): Json[] {
  assert.ok(Array.isArray(value), `${what}: expected a list, got ${JSON.stringify(value)}`);
  return value as Json[];
}

/** named finds the value of the `Named*` pair called `name`. */
function named(pairs: unknown, name: string, what: string): Json {
  const pair = list(pairs, what).find((p) => p['name'] === name);
  assert.ok(pair !== undefined, `${what} has no entry "${name}"`);
  return obj(pair['value'], `${what}.${name}`);
}

/** extension returns a vendor extension's value, parsed from its YAML text. */
function extension(extensions: unknown, name: string): unknown {
  return parseYaml(String(named(extensions, name, 'vendor_extension')['yaml']), { version: '1.1' });
}

void describe('encodeOpenApiV2Protobuf', () => {
  const docs = new OpenApiDocuments({ resources: BUILTIN_RESOURCES, schemas: builtinSchemas() });
  const json = JSON.parse(docs.v2().json) as Json;
  const decoded = decode(encodeOpenApiV2Protobuf(json));

  void it('carries swagger, info, security and every path and definition of the JSON document', () => {
    assert.equal(decoded['swagger'], '2.0');
    assert.deepEqual(decoded['info'], json['info']);
    assert.deepEqual(list(decoded['paths'] && obj(decoded['paths'], 'paths')['path'], 'paths').map((p) => p['name']), Object.keys(obj(json['paths'], 'paths')));
    const definitions = list(obj(decoded['definitions'], 'definitions')['additional_properties'], 'definitions');
    assert.deepEqual(definitions.map((d) => d['name']), Object.keys(obj(json['definitions'], 'definitions')));
    const bearer = named(obj(decoded['security_definitions'], 'securityDefinitions')['additional_properties'], 'BearerToken', 'securityDefinitions');
    assert.deepEqual(bearer['api_key_security'], { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer token authentication' });
    const requirement = list(decoded['security'], 'security')[0];
    assert.deepEqual(requirement, { additional_properties: [{ name: 'BearerToken', value: {} }] });
  });

  void it('maps the deployment PATCH operation as kubectl reads it: GVK extension, fieldValidation query parameter, body, responses', () => {
    const path = named(obj(decoded['paths'], 'paths')['path'], '/apis/apps/v1/namespaces/{namespace}/deployments/{name}', 'paths');
    const patch = obj(path['patch'], 'patch');
    assert.deepEqual(extension(patch['vendor_extension'], 'x-kubernetes-group-version-kind'), { group: 'apps', kind: 'Deployment', version: 'v1' });
    assert.equal(extension(patch['vendor_extension'], 'x-kubernetes-action'), 'patch');
    const params = list(patch['parameters'], 'parameters').map((p) => obj(p['parameter'], 'parameter'));
    const query = params.flatMap((p) => (p['non_body_parameter'] ? [obj(obj(p['non_body_parameter'], 'nonBody')['query_parameter_sub_schema'], 'query')] : []));
    const fieldValidation = query.find((q) => q['name'] === 'fieldValidation');
    assert.ok(fieldValidation, `query parameters: ${query.map((q) => String(q['name'])).join(', ')}`);
    assert.equal(fieldValidation['in'], 'query');
    assert.equal(fieldValidation['type'], 'string');
    assert.equal(fieldValidation['unique_items'], true);
    const body = params.find((p) => p['body_parameter'] !== undefined);
    assert.deepEqual(obj(body?.['body_parameter'], 'body')['schema'], { _ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch' });
    const pathParams = list(path['parameters'], 'path parameters').map((p) => obj(obj(p['parameter'], 'p')['non_body_parameter'], 'nb'));
    assert.ok(pathParams.some((p) => obj(p['path_parameter_sub_schema'] ?? {}, 'path')['name'] === 'name'), 'path-level {name} parameter');
    const ok = named(obj(patch['responses'], 'responses')['response_code'], '200', 'responses');
    assert.deepEqual(obj(ok['response'], 'response')['schema'], { schema: { _ref: '#/definitions/io.k8s.api.apps.v1.Deployment' } });
    assert.ok((patch['consumes'] as string[]).includes('application/strategic-merge-patch+json'));
    assert.deepEqual(patch['schemes'], ['https']);
  });

  void it('maps schemas: type, $ref, items, additionalProperties, required and the x-kubernetes-* extensions', () => {
    const definitions = obj(decoded['definitions'], 'definitions')['additional_properties'];
    const pod = named(definitions, 'io.k8s.api.core.v1.Pod', 'definitions');
    assert.deepEqual(extension(pod['vendor_extension'], 'x-kubernetes-group-version-kind'), [{ group: '', kind: 'Pod', version: 'v1' }]);
    assert.deepEqual(obj(pod['type'], 'type')['value'], ['object']);
    const podSpec = named(definitions, 'io.k8s.api.core.v1.PodSpec', 'definitions');
    const specProps = obj(podSpec['properties'], 'properties')['additional_properties'];
    assert.ok((podSpec['required'] as string[]).includes('containers'));
    const containers = named(specProps, 'containers', 'PodSpec.properties');
    assert.deepEqual(obj(containers['type'], 'type')['value'], ['array']);
    assert.deepEqual(obj(containers['items'], 'items')['schema'], [{ _ref: '#/definitions/io.k8s.api.core.v1.Container' }]);
    assert.equal(extension(containers['vendor_extension'], 'x-kubernetes-patch-merge-key'), 'name');
    assert.equal(extension(containers['vendor_extension'], 'x-kubernetes-patch-strategy'), 'merge');
    const nodeSelector = named(specProps, 'nodeSelector', 'PodSpec.properties');
    assert.deepEqual(obj(nodeSelector['additional_properties'], 'additionalProperties')['schema'], { type: { value: ['string'] } });
    const ports = named(obj(named(definitions, 'io.k8s.api.core.v1.Container', 'definitions')['properties'], 'p')['additional_properties'], 'ports', 'Container');
    assert.deepEqual(extension(ports['vendor_extension'], 'x-kubernetes-list-map-keys'), ['containerPort', 'protocol']);
    assert.equal(extension(ports['vendor_extension'], 'x-kubernetes-list-type'), 'map');
  });

  void it('writes free-form values as YAML that a YAML 1.1 reader gives back unchanged, and oneof members even when false', () => {
    const doc = {
      swagger: '2.0',
      'x-top': { nested: ['yes', 'on', 1.5, null, true] },
      paths: {
        '/things/{id}': {
          parameters: [{ $ref: '#/parameters/id' }, { name: 'X-Trace', in: 'header', type: 'string' }],
          get: {
            operationId: 'getThing',
            parameters: [{ name: 'mode', in: 'query', type: 'string', default: 'no', enum: ['yes', 'no', 'off'], maximum: 2.5, maxLength: 3, 'x-note': 'n' }],
            responses: { '200': { description: 'OK', schema: { type: 'file' } }, default: { $ref: '#/responses/err' }, 'x-r': 1 },
          },
        },
        'x-paths-ext': 'p',
      },
      definitions: {
        Thing: {
          type: ['object', 'null'],
          additionalProperties: false,
          allOf: [{ $ref: '#/definitions/Base' }],
          properties: { size: { type: 'integer', minimum: -3, maxLength: 0, default: 0, enum: ['on', 2] }, bogus: { nullable: true } },
        },
      },
    };
    const d = decode(encodeOpenApiV2Protobuf(doc));
    assert.deepEqual(extension(d['vendor_extension'], 'x-top'), { nested: ['yes', 'on', 1.5, null, true] });
    const paths = obj(d['paths'], 'paths');
    assert.equal(extension(paths['vendor_extension'], 'x-paths-ext'), 'p');
    const item = named(paths['path'], '/things/{id}', 'paths');
    const [ref, header] = list(item['parameters'], 'parameters');
    assert.deepEqual(ref, { json_reference: { _ref: '#/parameters/id' } });
    assert.deepEqual(header, { parameter: { non_body_parameter: { header_parameter_sub_schema: { name: 'X-Trace', in: 'header', type: 'string' } } } });
    const get = obj(item['get'], 'get');
    const mode = obj(obj(obj(list(get['parameters'], 'p')[0], 'p')['parameter'], 'p')['non_body_parameter'], 'nb')['query_parameter_sub_schema'];
    const q = obj(mode, 'query');
    assert.equal(parseYaml(String(obj(q['default'], 'default')['yaml']), { version: '1.1' }), 'no');
    assert.deepEqual(list(q['enum'], 'enum').map((e) => parseYaml(String(e['yaml']), { version: '1.1' }) as unknown), ['yes', 'no', 'off']);
    assert.equal(q['maximum'], 2.5);
    assert.equal(q['max_length'], 3);
    assert.equal(extension(q['vendor_extension'], 'x-note'), 'n');
    const responses = obj(get['responses'], 'responses');
    assert.deepEqual(named(responses['response_code'], '200', 'responses'), { response: { description: 'OK', schema: { file_schema: { type: 'file' } } } });
    assert.deepEqual(named(responses['response_code'], 'default', 'responses'), { json_reference: { _ref: '#/responses/err' } });
    assert.equal(extension(responses['vendor_extension'], 'x-r'), 1);
    const thing = named(obj(d['definitions'], 'definitions')['additional_properties'], 'Thing', 'definitions');
    assert.deepEqual(thing['type'], { value: ['object', 'null'] });
    assert.deepEqual(thing['additional_properties'], { boolean: false });
    assert.deepEqual(thing['all_of'], [{ _ref: '#/definitions/Base' }]);
    const props = obj(thing['properties'], 'properties')['additional_properties'];
    const size = named(props, 'size', 'properties');
    assert.equal(size['minimum'], -3);
    assert.equal(size['max_length'], 0);
    assert.equal(parseYaml(String(obj(size['default'], 'default')['yaml'])), 0);
    assert.deepEqual(list(size['enum'], 'enum').map((e) => parseYaml(String(e['yaml']), { version: '1.1' }) as unknown), ['on', 2]);
    assert.deepEqual(named(props, 'bogus', 'properties'), {}, 'keys outside Swagger 2.0 are left out');
  });

  void it('gives the same bytes for the same document', () => {
    assert.deepEqual(encodeOpenApiV2Protobuf(json), encodeOpenApiV2Protobuf(JSON.parse(docs.v2().json)));
  });
});

void describe('openApiV2ProtobufDocument', () => {
  void it('encodes once per JSON document object and hashes the bytes', () => {
    const source = { json: JSON.stringify({ swagger: '2.0', info: { title: 't', version: 'v' } }) };
    const a = openApiV2ProtobufDocument(source);
    assert.equal(openApiV2ProtobufDocument(source), a);
    assert.match(a.hash, /^[0-9A-F]{128}$/);
    assert.equal(a.etag, `"${a.hash}"`);
    assert.equal(decode(a.bytes)['swagger'], '2.0');
    assert.notEqual(openApiV2ProtobufDocument({ json: source.json }), a, 'a new JSON document object is encoded anew');
  });
});

void describe('negotiateOpenApiV2', () => {
  const cases: [accept: string | undefined, want: ReturnType<typeof negotiateOpenApiV2>][] = [
    [OPENAPI_V2_PROTOBUF_ACCEPT, 'protobuf'],
    [OPENAPI_V2_PROTOBUF_MEDIA_TYPE, 'protobuf'],
    [`${OPENAPI_V2_PROTOBUF_ACCEPT}, application/json`, 'protobuf'],
    [`application/json;q=0.5, ${OPENAPI_V2_PROTOBUF_ACCEPT}`, 'protobuf'],
    [`application/json, ${OPENAPI_V2_PROTOBUF_ACCEPT}`, 'json'],
    ['application/json', 'json'],
    ['*/*', 'json'],
    [undefined, 'json'],
    ['text/html', undefined],
    ['application/json;as=Table;v=v1;g=meta.k8s.io', undefined],
  ];
  for (const [accept, want] of cases) {
    void it(`Accept ${accept ?? '(none)'} → ${want ?? '406'}`, () => assert.equal(negotiateOpenApiV2(accept), want));
  }
});

void describe('serveOpenApiV2Protobuf', () => {
  void it('answers with the bytes, the dotted media type and an ETag, and 304 when If-None-Match names it', async () => {
    const doc = openApiV2ProtobufDocument({ json: JSON.stringify({ swagger: '2.0' }) });
    const server = createServer((req, res) => serveOpenApiV2Protobuf(req, res, doc));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const get = (headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> =>
      new Promise((done, fail) => {
        request({ host: '127.0.0.1', port, path: '/openapi/v2', headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        })
          .on('error', fail)
          .end();
      });
    try {
      const first = await get({ Accept: OPENAPI_V2_PROTOBUF_ACCEPT });
      assert.equal(first.status, 200);
      assert.equal(first.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
      assert.equal(first.headers['etag'], doc.etag);
      assert.equal(first.headers['vary'], 'Accept');
      assert.deepEqual(new Uint8Array(first.body), doc.bytes);
      const again = await get({ Accept: OPENAPI_V2_PROTOBUF_ACCEPT, 'If-None-Match': `W/${doc.etag}` });
      assert.equal(again.status, 304);
      assert.equal(again.body.length, 0);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });
});

/** kubectlBinary finds `kubectl.<version>` beside the kubectl on PATH, or undefined. */
function kubectlBinary(version: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const kubectl = join(dir, 'kubectl');
    if (!existsSync(kubectl)) continue;
    const binary = join(dirname(realpathSync(kubectl)), `kubectl.${version}`);
    return existsSync(binary) ? binary : undefined;
  }
  return undefined;
}

/**
 * The oracle for the schema mapping: kubectl 1.27 and 1.28 validating manifests on the client against our protobuf
 * document. The document served here lacks the `fieldValidation` parameter, so kubectl cannot hand validation to the
 * server and must read every definition itself (a real server advertises the parameter and validates server-side).
 */
void describe('kubectl 1.27 and 1.28 validate on the client with the protobuf document', () => {
  const versions = ['1.27', '1.28'].map((v) => [v, kubectlBinary(v)] as const);
  const discovery = new DiscoveryDocuments({ resources: BUILTIN_RESOURCES });
  const json = JSON.parse(new OpenApiDocuments({ resources: BUILTIN_RESOURCES, schemas: builtinSchemas() }).v2().json) as { paths: Record<string, Record<string, { parameters?: { name?: string }[] }>> };
  for (const item of Object.values(json.paths)) {
    for (const op of Object.values(item)) if (Array.isArray(op.parameters)) op.parameters = op.parameters.filter((p) => p.name !== 'fieldValidation');
  }
  const bytes = encodeOpenApiV2Protobuf(json);
  let server: Server;
  let dir: string;
  let url: string;

  function sendJson(res: ServerResponse, code: number, body: string): void {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    // A canned create: echo the object back.
    if (req.method === 'POST') return sendJson(res, 201, Buffer.concat(chunks).toString());
    if (path === '/openapi/v2' && negotiateOpenApiV2(req.headers.accept) === 'protobuf') {
      res.writeHead(200, { 'content-type': OPENAPI_V2_PROTOBUF_MEDIA_TYPE });
      res.end(bytes);
      return;
    }
    if (path === '/api') return sendJson(res, 200, discovery.apiVersions().json);
    if (path === '/apis') return sendJson(res, 200, discovery.apiGroupList().json);
    const gv = /^\/(?:api\/(v[^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    const list = gv === null ? undefined : gv[1] !== undefined ? discovery.apiResourceList('', gv[1]) : discovery.apiResourceList(gv[2] ?? '', gv[3] ?? '');
    if (list !== undefined) return sendJson(res, 200, list.json);
    sendJson(res, 404, JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'the server could not find the requested resource' }));
  }

  function kubectl(binary: string, version: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const cacheDir = join(dir, `cache-${version}`);
      execFile(binary, ['--server', url, '--cache-dir', cacheDir, ...args], { timeout: 60_000, env: { ...process.env, HOME: dir, KUBECONFIG: join(dir, 'none') } }, (err, stdout, stderr) => {
        done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
      });
    });
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tkube-openapi-v2-'));
    server = createServer((req, res) => {
      handle(req, res).catch((err: unknown) => sendJson(res, 500, JSON.stringify({ message: String(err) })));
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await writeFile(
      join(dir, 'bad-pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  containers:\n  - name: main\n    image: busybox\n    bogusField: 1\n    ports:\n    - containerPort: eighty\n',
    );
    await writeFile(
      join(dir, 'deployment.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web, labels: {app: web}}',
        'spec:',
        '  replicas: 2',
        '  selector: {matchLabels: {app: web}}',
        '  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}',
        '  template:',
        '    metadata: {labels: {app: web}, annotations: {note: "yes"}}',
        '    spec:',
        '      containers:',
        '      - name: web',
        '        image: nginx:1.27',
        '        ports: [{containerPort: 80, protocol: TCP}]',
        '        env: [{name: A, value: "1"}]',
        '        resources: {limits: {cpu: 100m, memory: 1Gi}}',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    await new Promise((done) => server.close(done));
    await rm(dir, { recursive: true, force: true });
  });

  for (const [version, binary] of versions) {
    void it(`kubectl ${version} names the unknown field and the mistyped one, and accepts a valid Deployment`, { skip: binary === undefined ? `kubectl.${version} is not installed` : false }, async () => {
      assert.ok(binary !== undefined);
      const bad = await kubectl(binary, version, ['create', '-f', join(dir, 'bad-pod.yaml')]);
      assert.notEqual(bad.code, 0, `the bad pod should be refused:\n${bad.stdout}`);
      assert.match(bad.stderr, /ValidationError\(Pod\.spec\.containers\[0\]\): unknown field "bogusField" in io\.k8s\.api\.core\.v1\.Container/);
      assert.match(bad.stderr, /ValidationError\(Pod\.spec\.containers\[0\]\.ports\[0\]\.containerPort\): invalid type .* expected "integer"/);
      const good = await kubectl(binary, version, ['create', '-f', join(dir, 'deployment.yaml'), '-o', 'name']);
      assert.equal(good.code, 0, good.stderr);
      assert.equal(good.stdout.trim(), 'deployment.apps/web');
    });
  }
});
