import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusError } from '../../api/meta/status-error.js';
import { builtinSchemas } from '../../api/schema/schema-registry.js';
import { decodeBody } from './decode-body.js';

function statusOf(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, `expected StatusError, got ${String(err)}`);
    return { code: err.status.code, message: err.status.message ?? '' };
  }
  assert.fail('expected a StatusError');
}

test('decodeBody() decodes JSON, JSON without Content-Type, and patch types', () => {
  assert.deepEqual(decodeBody('application/json', Buffer.from('{"a":1}')), { a: 1 });
  assert.deepEqual(decodeBody('application/json; charset=utf-8', Buffer.from('{"a":1}')), { a: 1 });
  assert.deepEqual(decodeBody(undefined, Buffer.from('[1]')), [1]);
  assert.deepEqual(decodeBody('application/merge-patch+json', Buffer.from('{"b":null}')), { b: null });
  assert.deepEqual(decodeBody('application/json-patch+json', Buffer.from('[{"op":"remove","path":"/a"}]')), [{ op: 'remove', path: '/a' }]);
});

test('decodeBody() decodes YAML and apply-patch YAML', () => {
  assert.deepEqual(decodeBody('application/yaml', Buffer.from('kind: Pod\nmetadata:\n  name: x\n')), { kind: 'Pod', metadata: { name: 'x' } });
  assert.deepEqual(decodeBody('application/apply-patch+yaml', Buffer.from('{"kind":"Pod"}')), { kind: 'Pod' });
});

test('decodeBody() answers 415 for unknown media types and for protobuf without a decoder', () => {
  const s = statusOf(() => decodeBody('text/plain', Buffer.from('x')));
  assert.equal(s.code, 415);
  assert.match(s.message, /the body of the request was in an unknown format/);
  assert.equal(statusOf(() => decodeBody('application/vnd.kubernetes.protobuf', Buffer.from('k8s\0'))).code, 415);
});

test('decodeBody() decodes Kubernetes protobuf bodies with a schema lookup', () => {
  // kubectl create configmap pbx --from-literal=k=v, as captured on the wire.
  const body = Buffer.from(
    '6b387300' + '0a0f0a0276311209436f6e6669674d6170' + '121d0a130a0370627812001a0022002a003200380042001206' + '0a016b120176' + '1a002200',
    'hex',
  );
  const v = decodeBody('application/vnd.kubernetes.protobuf', body, { schemaLookup: builtinSchemas() }) as Record<string, unknown>;
  assert.equal(v['kind'], 'ConfigMap');
  assert.deepEqual(v['data'], { k: 'v' });
  const s = statusOf(() => decodeBody('application/vnd.kubernetes.protobuf', Buffer.from('k8s\0\x0a\xff'), { schemaLookup: builtinSchemas() }));
  assert.equal(s.code, 400);
});

test('decodeBody() uses a given protobuf decoder and maps its failures to 400', () => {
  assert.deepEqual(decodeBody('application/vnd.kubernetes.protobuf', Buffer.from('k8s\0'), { decodeProtobuf: () => ({ kind: 'X' }) }), { kind: 'X' });
  const fail = (): never => {
    throw new Error('bad');
  };
  assert.equal(statusOf(() => decodeBody('application/vnd.kubernetes.protobuf', Buffer.from('x'), { decodeProtobuf: fail })).code, 400);
});

test('decodeBody() answers 400 for malformed bodies', () => {
  const cases: [string, string, RegExp][] = [
    ['application/json', '{"kind":"Pod","metadata":{', /^couldn't get version\/kind; json parse error: /],
    ['application/json', '', /unexpected end of JSON input/],
    ['application/json', '['.repeat(1001) + ']'.repeat(1001), /exceeded max depth of 1000/],
    ['application/yaml', 'a: [1, 2\nb: }', /^error converting YAML to JSON: yaml: /],
    ['application/yaml', '- '.repeat(5000) + 'x', /exceeded max depth/],
  ];
  for (const [ct, body, re] of cases) {
    const s = statusOf(() => decodeBody(ct, Buffer.from(body)));
    assert.equal(s.code, 400, body.slice(0, 40));
    assert.match(s.message, re);
  }
});

test('decodeBody() refuses a YAML alias bomb quickly', () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
  let prev = 'a';
  for (const n of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']) {
    lines.push(`${n}: &${n} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    prev = n;
  }
  const started = Date.now();
  const s = statusOf(() => decodeBody('application/yaml', Buffer.from(lines.join('\n'))));
  assert.equal(s.code, 400);
  assert.ok(Date.now() - started < 2000);
});

test('decodeBody() with strict rejects duplicate fields in JSON and YAML', () => {
  const json = '{"spec":{"replicas":1,"replicas":2,"template":{"spec":{"containers":[{"name":"a","name":"b"}]}}}}';
  assert.deepEqual(decodeBody('application/json', Buffer.from(json)), { spec: { replicas: 2, template: { spec: { containers: [{ name: 'b' }] } } } });
  const s = statusOf(() => decodeBody('application/json', Buffer.from(json), { strict: true }));
  assert.equal(s.code, 400);
  assert.equal(s.message, 'strict decoding error: duplicate field "spec.replicas", duplicate field "spec.template.spec.containers[0].name"');
  assert.equal(statusOf(() => decodeBody('application/yaml', Buffer.from('a: 1\na: 2\n'), { strict: true })).code, 400);
});
