import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsMediaType, parseAccept, parseMediaType } from './media-type.js';

test('parseAccept() keeps parameters and orders by quality', () => {
  const ranges = parseAccept('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io;q=0.9, application/json;q=0.5');
  assert.equal(ranges.length, 3);
  assert.deepEqual(ranges[0]?.params, { as: 'Table', v: 'v1', g: 'meta.k8s.io' });
  assert.equal(ranges[1]?.params['as'], 'PartialObjectMetadataList');
  assert.equal(ranges[2]?.q, 0.5);
  assert.deepEqual(parseAccept('text/plain;q=0.1, application/json').map((r) => r.essence), ['application/json', 'text/plain']);
});

test('parseAccept() treats a missing header as */* and drops q=0 and junk', () => {
  assert.equal(parseAccept(undefined)[0]?.essence, '*/*');
  assert.deepEqual(parseAccept('application/json;q=0, nonsense, text/*').map((r) => r.essence), ['text/*']);
});

test('acceptsMediaType() honours wildcards', () => {
  assert.equal(acceptsMediaType(parseAccept('*/*'), 'application/json'), true);
  assert.equal(acceptsMediaType(parseAccept('application/*'), 'application/json'), true);
  assert.equal(acceptsMediaType(parseAccept('application/com.github.proto-openapi.spec.v2@v1.0+protobuf'), 'application/json'), false);
});

test('parseMediaType() lower-cases names and unquotes values', () => {
  const m = parseMediaType('Application/JSON; Charset="utf-8"');
  assert.equal(m?.essence, 'application/json');
  assert.equal(m?.params['charset'], 'utf-8');
  assert.equal(parseMediaType('json'), undefined);
});
