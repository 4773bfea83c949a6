import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, JSON_PATCH, MAX_PATCH_BYTES, MERGE_PATCH, patchTypeOf, STRATEGIC_MERGE_PATCH } from './patch.js';
import type { ApplyPatchOptions } from './patch.js';
import { StatusError } from '../meta/status-error.js';
import { builtinSchemas } from '../schema/schema-registry.js';
import type { JsonObject } from './json-value.js';

const deployment: JsonObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] } },
  },
};
const builtin: ApplyPatchOptions = { typeName: 'io.k8s.api.apps.v1.Deployment', lookup: builtinSchemas() };
const custom: ApplyPatchOptions = { lookup: builtinSchemas(), groupKind: { group: 'stable.example.com', kind: 'CronTab' } };

function statusOf(fn: () => unknown): { code: number; reason: string | undefined; message: string | undefined } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StatusError, `expected a StatusError, got ${String(err)}`);
    return { code: err.status.code, reason: err.status.reason, message: err.status.message };
  }
  assert.fail('expected applyPatch to throw');
}

void describe('patchTypeOf()', () => {
  const cases: ReadonlyArray<[string, string | undefined]> = [
    ['application/json-patch+json', JSON_PATCH],
    ['application/merge-patch+json; charset=utf-8', MERGE_PATCH],
    ['Application/Strategic-Merge-Patch+JSON', STRATEGIC_MERGE_PATCH],
    ['application/apply-patch+yaml', undefined],
    ['application/json', undefined],
    ['', undefined],
  ];
  for (const [header, want] of cases) void it(`maps "${header}" to ${String(want)}`, () => assert.equal(patchTypeOf(header), want));
});

void describe('applyPatch()', () => {
  const successes: ReadonlyArray<{ name: string; contentType: string; body: string; check: (o: JsonObject) => void }> = [
    {
      name: 'applies a strategic merge patch (kubectl set image)',
      contentType: STRATEGIC_MERGE_PATCH,
      body: '{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}',
      check: (o) =>
        assert.deepEqual((o['spec'] as { template: { spec: unknown } }).template.spec, {
          containers: [
            { name: 'a', image: 'a:1' },
            { name: 'b', image: 'b:2' },
          ],
        }),
    },
    {
      name: 'applies a merge patch, which replaces lists',
      contentType: MERGE_PATCH,
      body: '{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}',
      check: (o) => assert.deepEqual((o['spec'] as { template: { spec: unknown } }).template.spec, { containers: [{ name: 'b', image: 'b:2' }] }),
    },
    {
      name: 'applies a JSON patch',
      contentType: JSON_PATCH,
      body: '[{"op":"replace","path":"/spec/replicas","value":5}]',
      check: (o) => assert.equal((o['spec'] as { replicas: number }).replicas, 5),
    },
    {
      name: 'accepts a content type with parameters',
      contentType: 'application/merge-patch+json; charset=utf-8',
      body: '{"metadata":{"labels":{"app":null}}}',
      check: (o) => assert.deepEqual((o['metadata'] as JsonObject)['labels'], {}),
    },
    {
      name: 'applies the kubectl scale patch',
      contentType: MERGE_PATCH,
      body: '{"spec":{"replicas":3}}',
      check: (o) => assert.equal((o['spec'] as { replicas: number }).replicas, 3),
    },
  ];
  for (const c of successes) {
    void it(c.name, () => {
      const before = structuredClone(deployment);
      c.check(applyPatch(c.contentType, deployment, c.body, builtin));
      assert.deepEqual(deployment, before, 'the current object must not be mutated');
    });
  }

  void it('accepts the body as UTF-8 bytes', () => {
    const got = applyPatch(MERGE_PATCH, deployment, new TextEncoder().encode('{"metadata":{"labels":{"ünï":"ok"}}}'), builtin);
    assert.equal(((got['metadata'] as JsonObject)['labels'] as JsonObject)['ünï'], 'ok');
  });

  void it('applies merge and JSON patches to custom resources', () => {
    const cr = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'c' }, spec: { cron: '* * * * *' } };
    assert.deepEqual(applyPatch(MERGE_PATCH, cr, '{"spec":{"image":"x"}}', custom)['spec'], { cron: '* * * * *', image: 'x' });
    assert.deepEqual(applyPatch(JSON_PATCH, cr, '[{"op":"remove","path":"/spec/cron"}]', custom)['spec'], {});
  });

  const failures: ReadonlyArray<{ name: string; contentType: string; body: string | Uint8Array; opts?: ApplyPatchOptions; code: number; reason: string; message: RegExp }> = [
    {
      name: 'strategic merge patch for a custom resource',
      contentType: STRATEGIC_MERGE_PATCH,
      body: '{}',
      opts: custom,
      code: 415,
      reason: 'UnsupportedMediaType',
      message: /^strategic merge patch is not supported for CronTab\.stable\.example\.com; use application\/merge-patch\+json or application\/json-patch\+json$/,
    },
    { name: 'an unknown content type', contentType: 'application/json', body: '{}', code: 415, reason: 'UnsupportedMediaType', message: /accepted media types include/ },
    { name: 'server-side apply', contentType: 'application/apply-patch+yaml', body: 'a: 1', code: 415, reason: 'UnsupportedMediaType', message: /unknown format/ },
    { name: 'malformed JSON', contentType: STRATEGIC_MERGE_PATCH, body: '{"spec":', code: 400, reason: 'BadRequest', message: /^Cannot decode strategic merge patch: the body is not valid JSON/ },
    { name: 'an empty body', contentType: MERGE_PATCH, body: '', code: 400, reason: 'BadRequest', message: /not valid JSON/ },
    { name: 'YAML instead of JSON', contentType: MERGE_PATCH, body: 'spec:\n  replicas: 2\n', code: 400, reason: 'BadRequest', message: /not valid JSON/ },
    { name: 'invalid UTF-8', contentType: MERGE_PATCH, body: new Uint8Array([0x7b, 0xff, 0x7d]), code: 400, reason: 'BadRequest', message: /not UTF-8/ },
    { name: 'a merge patch that is not an object', contentType: MERGE_PATCH, body: '[1]', code: 400, reason: 'BadRequest', message: /must be a JSON object/ },
    { name: 'a strategic merge patch that is not an object', contentType: STRATEGIC_MERGE_PATCH, body: '"x"', code: 400, reason: 'BadRequest', message: /must be a JSON object/ },
    { name: 'a JSON patch that is not a list', contentType: JSON_PATCH, body: '{"op":"add"}', code: 400, reason: 'BadRequest', message: /JSON array of operations/ },
    {
      name: 'a failing JSON patch test',
      contentType: JSON_PATCH,
      body: '[{"op":"test","path":"/spec/replicas","value":2}]',
      code: 422,
      reason: 'Invalid',
      message: /^Cannot apply JSON patch operation 0 \(test \/spec\/replicas\)/,
    },
    { name: 'a JSON patch removing a missing path', contentType: JSON_PATCH, body: '[{"op":"remove","path":"/spec/nope"}]', code: 422, reason: 'Invalid', message: /does not exist/ },
    { name: 'a JSON patch that replaces the root by a scalar', contentType: JSON_PATCH, body: '[{"op":"replace","path":"","value":1}]', code: 422, reason: 'Invalid', message: /result is not a JSON object/ },
    { name: 'a broken strategic directive', contentType: STRATEGIC_MERGE_PATCH, body: '{"spec":{"$patch":"zap"}}', code: 400, reason: 'BadRequest', message: /unknown "\$patch" directive/ },
    {
      name: 'a container without its merge key',
      contentType: STRATEGIC_MERGE_PATCH,
      body: '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}',
      code: 400,
      reason: 'BadRequest',
      message: /lacks its merge key "name"/,
    },
    {
      name: 'too many JSON patch operations',
      contentType: JSON_PATCH,
      body: JSON.stringify(Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/kind', value: 'Deployment' }))),
      code: 413,
      reason: 'RequestEntityTooLarge',
      message: /at most 10000/,
    },
    { name: 'a body over the byte limit', contentType: MERGE_PATCH, body: `{"a":"${'x'.repeat(200)}"}`, opts: { ...builtin, maxBytes: 100 }, code: 413, reason: 'RequestEntityTooLarge', message: /limit is 100/ },
    {
      name: 'a strategic merge patch nested 10,000 levels deep',
      contentType: STRATEGIC_MERGE_PATCH,
      body: '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
      code: 400,
      reason: 'BadRequest',
      message: /deeper than 100 levels/,
    },
    {
      name: 'a merge patch nested 100,000 levels deep',
      contentType: MERGE_PATCH,
      body: '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000),
      code: 400,
      reason: 'BadRequest',
      message: /deeper than 100 levels/,
    },
    {
      name: 'a JSON patch value nested 100,000 levels deep',
      contentType: JSON_PATCH,
      body: '[{"op":"add","path":"/x","value":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}]',
      code: 400,
      reason: 'BadRequest',
      message: /deeper than 100 levels/,
    },
    { name: 'a schema type the lookup does not know', contentType: STRATEGIC_MERGE_PATCH, body: '{}', opts: { ...builtin, typeName: 'io.k8s.api.nope.v1.Nope' }, code: 500, reason: 'InternalError', message: /no schema for type/ },
  ];
  for (const c of failures) {
    void it(`answers ${c.code} for ${c.name}`, () => {
      const status = statusOf(() => applyPatch(c.contentType, deployment, c.body, c.opts ?? builtin));
      assert.equal(status.code, c.code);
      assert.equal(status.reason, c.reason);
      assert.match(status.message ?? '', c.message);
    });
  }

  void it('answers 500 when the current object is not an object', () => {
    assert.equal(statusOf(() => applyPatch(MERGE_PATCH, [1], '{}', builtin)).code, 500);
  });

  void it(`defaults the byte limit to ${MAX_PATCH_BYTES}`, () => {
    const body = `{"a":"${'x'.repeat(MAX_PATCH_BYTES)}"}`;
    assert.equal(statusOf(() => applyPatch(MERGE_PATCH, deployment, body, builtin)).code, 413);
  });
});
