/**
 * Hostile and malformed input against a real `tkube server` process: every answer is a 4xx Status, never a 5xx,
 * a hang or a crash, and the server still serves afterwards.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestCluster } from '../harness/test-cluster.js';

describe('hostile input', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start();
  });
  after(async () => {
    await c?.stop();
  });

  const post = (path: string, contentType: string, body: string | Buffer) =>
    c.request(path, { method: 'POST', headers: { 'content-type': contentType }, body: body as string });

  function assertStatus(r: { status: number; body: string }, code: number, what: string): void {
    assert.equal(r.status, code, `${what}: ${r.body.slice(0, 300)}`);
    const s = JSON.parse(r.body) as { kind?: string; code?: number };
    assert.equal(s.kind, 'Status', what);
    assert.equal(s.code, code, what);
  }

  const cm = '/api/v1/namespaces/default/configmaps';
  const cases: { what: string; contentType: string; body: () => string | Buffer; code: number }[] = [
    { what: 'truncated JSON', contentType: 'application/json', body: () => '{"metadata":{"name":"x"', code: 400 },
    { what: 'not an object', contentType: 'application/json', body: () => '"just a string"', code: 400 },
    { what: 'nesting 10,001 deep', contentType: 'application/json', body: () => '{"a":'.repeat(10_001) + '1' + '}'.repeat(10_001), code: 400 },
    { what: 'a YAML alias bomb', contentType: 'application/yaml', body: () => 'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n', code: 400 },
    { what: 'garbage protobuf', contentType: 'application/vnd.kubernetes.protobuf', body: () => Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), code: 400 },
    { what: 'an unknown content type', contentType: 'text/plain', body: () => 'hello', code: 415 },
    { what: 'a body of 3 MiB + 1', contentType: 'application/json', body: () => `{"metadata":{"name":"big"},"data":{"k":"${'x'.repeat(3 * 1024 * 1024 - 40)}"}}`, code: 413 },
    { what: 'the wrong kind for the resource', contentType: 'application/json', body: () => '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"}}', code: 400 },
    // Invalid UTF-8 decodes to U+FFFD (as Go's encoding/json does); the name then fails validation.
    { what: 'bad UTF-8 in a name', contentType: 'application/json', body: () => Buffer.concat([Buffer.from('{"metadata":{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]), code: 422 },
  ];
  for (const t of cases) {
    it(`answers ${t.what} with a ${t.code} Status`, async () => {
      assertStatus(await post(cm, t.contentType, t.body()), t.code, t.what);
    });
  }

  it('answers malformed patches and bad selectors with 4xx Statuses', async () => {
    assert.equal((await post(cm, 'application/json', '{"metadata":{"name":"target"}}')).status, 201);
    const patch = (type: string, body: string) => c.request(`${cm}/target`, { method: 'PATCH', headers: { 'content-type': type }, body });
    assertStatus(await patch('application/json-patch+json', '[{"op":"frobnicate","path":"/x"}]'), 422, 'unknown JSON patch op');
    const failing = await patch('application/json-patch+json', '[{"op":"test","path":"/data/k","value":"v"}]');
    assert.ok(failing.status >= 400 && failing.status < 500, failing.body);
    assertStatus(await patch('application/strategic-merge-patch+json', '{"metadata":'), 400, 'truncated strategic merge patch');
    assertStatus(await patch('application/merge-patch+json', '[1,2]'), 400, 'a merge patch that is not an object');
    assertStatus(await c.request(`${cm}?labelSelector=${encodeURIComponent('a in (')}`), 400, 'bad label selector');
    assertStatus(await c.request(`${cm}?fieldSelector=${encodeURIComponent('spec.nope=1')}`), 400, 'unsupported field selector');
  });

  it('is still healthy after all of it', async () => {
    const r = await c.request('/readyz?verbose');
    assert.equal(r.status, 200);
    assert.match(r.body, /readyz check passed/);
    assert.doesNotMatch(c.log, /\n\s+at .*\.(ts|js|mjs):\d+/, 'no stack trace in the server log');
  });
});
