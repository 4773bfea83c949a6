import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseImageReference } from './image-reference.js';

void describe('parseImageReference', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['me/app:1', 'docker.io/me/app:1'],
    ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest'],
    ['index.docker.io/library/nginx', 'docker.io/library/nginx:latest'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['localhost:5000/app', 'localhost:5000/app:latest'],
    ['localhost/app:v2', 'localhost/app:v2'],
    [`busybox@sha256:${'a'.repeat(64)}`, `docker.io/library/busybox@sha256:${'a'.repeat(64)}`],
  ];
  for (const [ref, want] of cases) void it(`${ref} → ${want}`, () => assert.equal(parseImageReference(ref).name, want));
  void it('refuses what is not a reference', () => {
    assert.throws(() => parseImageReference(''), /is empty/);
    assert.throws(() => parseImageReference('Busybox'), /invalid repository name component "Busybox"/);
    assert.throws(() => parseImageReference('busybox@sha256:abc'), /digest/);
  });
});
