import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../base/clock/clock.js';
import { ImagePullError, type AuthConfig, type Image, type ImageService } from '../cri/image-service.js';
import { credentialsFor, parseDockerConfig } from '../images/docker-config.js';
import { parseImageReference } from '../images/image-reference.js';
import { defaultPullPolicy, ImageManager } from './image-manager.js';

/** FakeImages: a store holding `present`, whose pulls answer as `pull` says, recording the auth of each. */
class FakeImages implements ImageService {
  pulls: (AuthConfig | undefined)[] = [];
  constructor(
    public present: Set<string>,
    public pull: (ref: string, auth?: AuthConfig) => string | ImagePullError,
  ) {}
  async listImages(): Promise<Image[]> {
    return [];
  }
  async imageStatus(ref: string): Promise<Image | undefined> {
    return this.present.has(ref) ? { id: `sha256:${ref.length}`, repoTags: [ref], repoDigests: [], size: 42 } : undefined;
  }
  async pullImage(ref: string, auth?: AuthConfig): Promise<string> {
    this.pulls.push(auth);
    const r = this.pull(ref, auth);
    if (r instanceof ImagePullError) throw r;
    this.present.add(ref);
    return r;
  }
  async removeImage(): Promise<void> {}
  async imageFsInfo(): Promise<never> {
    throw new Error('unused');
  }
}

const pod = { metadata: { uid: 'u1', namespace: 'ns' }, spec: { imagePullSecrets: [{ name: 'missing' }, { name: 'regcred' }] } };
const secret = (auths: Record<string, unknown>): Record<string, string> => ({ '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') });

void describe('ImageManager', () => {
  void it('defaults the pull policy as the API server does', () => {
    assert.equal(defaultPullPolicy('busybox'), 'Always');
    assert.equal(defaultPullPolicy('busybox:latest'), 'Always');
    assert.equal(defaultPullPolicy('localhost:5000/app'), 'Always');
    assert.equal(defaultPullPolicy('busybox:1.36'), 'IfNotPresent');
    assert.equal(defaultPullPolicy(`busybox@sha256:${'a'.repeat(64)}`), 'IfNotPresent');
  });

  void it('honours Never and IfNotPresent without pulling', async () => {
    const images = new FakeImages(new Set(['busybox:1.36']), () => 'sha256:new');
    const m = new ImageManager({ images, clock: new FakeClock(), readSecret: async () => undefined });
    const events: string[] = [];
    const ev = (_t: string, reason: string, msg: string): void => void events.push(`${reason}: ${msg}`);
    assert.deepEqual(await m.ensureImageExists(pod, 'busybox:1.36', 'IfNotPresent', ev), { ok: true, imageId: 'sha256:12' });
    assert.equal((await m.ensureImageExists(pod, 'nginx:1', 'Never', ev)).ok, false);
    assert.deepEqual(images.pulls, []);
    assert.deepEqual(events, ['Pulled: Container image "busybox:1.36" already present on machine', 'ErrImageNeverPull: Container image "nginx:1" is not present with pull policy of Never']);
  });

  void it('backs off failed pulls: ErrImagePull, then ImagePullBackOff until 10 s, 20 s … have passed', async () => {
    const clock = new FakeClock();
    const images = new FakeImages(new Set(), (ref) => new ImagePullError(ref, 'x: not found', 'NotFound'));
    const m = new ImageManager({ images, clock, readSecret: async () => undefined });
    const ev = (): void => undefined;
    const first = await m.ensureImageExists(pod, 'app:1', undefined, ev);
    assert.deepEqual(first, { ok: false, reason: 'ErrImagePull', message: 'Failed to pull image "app:1": x: not found', retryAfterMs: 10_000 });
    const inside = await m.ensureImageExists(pod, 'app:1', undefined, ev);
    assert.equal(inside.ok === false && inside.reason, 'ImagePullBackOff');
    assert.equal(images.pulls.length, 1);
    clock.advance(10_000);
    const second = await m.ensureImageExists(pod, 'app:1', undefined, ev);
    assert.equal(second.ok === false && second.retryAfterMs, 20_000);
    assert.equal(images.pulls.length, 2);
  });

  void it('uses the present copy when no registry is reachable, but not when the registry says no', async () => {
    const images = new FakeImages(new Set(['busybox']), (ref) => new ImagePullError(ref, 'cannot reach registry-1: ENOTFOUND', 'Unreachable'));
    const m = new ImageManager({ images, clock: new FakeClock(), readSecret: async () => undefined });
    const events: string[] = [];
    assert.deepEqual(await m.ensureImageExists(pod, 'busybox', undefined, (_t, r, msg) => void events.push(`${r}: ${msg}`)), { ok: true, imageId: 'sha256:7' });
    assert.match(events.at(-1) ?? '', /^Pulled: Container image "busybox" already present on machine; no registry could be reached/);
    images.pull = (ref) => new ImagePullError(ref, 'pull access denied', 'Unauthorized');
    assert.equal((await m.ensureImageExists({ ...pod, metadata: { uid: 'u2' } }, 'busybox', 'Always', () => undefined)).ok, false);
  });

  void it('tries the pull secrets that match the registry, then none', async () => {
    const images = new FakeImages(new Set(), (ref, auth) => (auth?.username === 'right' ? 'sha256:ok' : new ImagePullError(ref, 'denied', 'Unauthorized')));
    const readSecret = async (ns: string, name: string): Promise<Record<string, string> | undefined> =>
      ns === 'ns' && name === 'regcred' ? secret({ 'https://reg.local:5000/v1/': { username: 'wrong', password: 'x' }, 'reg.local:5000/team': { auth: Buffer.from('right:pw').toString('base64'), username: 'right' }, 'other.io': { username: 'o' } }) : undefined;
    const m = new ImageManager({ images, clock: new FakeClock(), readSecret });
    assert.deepEqual(await m.ensureImageExists(pod, 'reg.local:5000/team/app:2', undefined, () => undefined), { ok: true, imageId: 'sha256:ok' });
    // The more specific key (with the repository path) is tried first.
    assert.deepEqual(images.pulls.map((a) => a?.username), ['right']);
  });

  void it('reads docker config keys the way users write them', () => {
    const cfg = parseDockerConfig(JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: 'YTpi' } } }));
    assert.deepEqual(credentialsFor(parseImageReference('busybox'), [cfg ?? {}]), [{ auth: 'YTpi' }]);
    assert.deepEqual(credentialsFor(parseImageReference('quay.io/x/y'), [cfg ?? {}]), []);
    assert.deepEqual(parseDockerConfig(JSON.stringify({ 'reg:1': { username: 'u' } })), { 'reg:1': { username: 'u' } });
    assert.equal(parseDockerConfig('nope'), undefined);
  });
});
