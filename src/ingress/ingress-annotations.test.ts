import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePathRegex, ingressOptions, rewriteUrl } from './ingress-annotations.js';

void describe('ingress annotations', () => {
  void it('reads rewrite-target, use-regex and backend-protocol', () => {
    assert.deepEqual(ingressOptions({ metadata: {} }), { regexPaths: false, backendProtocol: 'HTTP' });
    assert.deepEqual(ingressOptions({ metadata: { annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': ' /$1 ' } } }), { rewriteTarget: '/$1', regexPaths: true, backendProtocol: 'HTTP' });
    assert.deepEqual(ingressOptions({ metadata: { annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'True', 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC' } } }), { regexPaths: true, backendProtocol: 'HTTP' });
  });

  void it('rewrites the whole path as nginx does, keeping the query string', () => {
    const re = compilePathRegex('/app(/|$)(.*)') ?? assert.fail('compiles');
    assert.equal(rewriteUrl(re, '/$2', '/app/a/b?x=1'), '/a/b?x=1');
    assert.equal(rewriteUrl(re, '/$2', '/app'), '/');
    assert.equal(rewriteUrl(re, 'v2/$2?from=app', '/app/z?x=1'), '/v2/z?from=app&x=1');
    assert.equal(rewriteUrl(compilePathRegex('/old') ?? assert.fail(), '/', '/old/deep/path'), '/', 'no groups: the whole path becomes the target');
    assert.equal(rewriteUrl(re, '/$2', '/other'), '/other');
    assert.equal(compilePathRegex('/bad('), undefined);
  });
});
