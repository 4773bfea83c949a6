import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../api/meta/types.js';
import { FakeClock } from '../../base/clock/clock.js';
import { newLogger } from '../../base/log/logger.js';
import { ApiError } from '../../client/api-error.js';
import { Store } from '../../client/informer/store.js';
import type { ResourcePath } from '../../client/resource-path.js';
import type { DeleteOptions } from '../../client/rest-client.js';
import { EXPIRED_TOKEN_RETENTION_MS, TokenCleaner, tokenExpiry } from './token-cleaner.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function tokenSecret(id: string, data: Record<string, string> = {}, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'bootstrap.kubernetes.io/token',
    metadata: { name: `bootstrap-token-${id}`, namespace: 'kube-system', uid: `uid-${id}` },
    data: Object.fromEntries(Object.entries({ 'token-id': id, 'token-secret': '0123456789abcdef', ...data }).map(([k, v]) => [k, b64(v)])),
    ...extra,
  } as KubeObject;
}

class RecordingClient {
  readonly deleted: { path: ResourcePath; options?: DeleteOptions }[] = [];
  fail: ApiError | undefined;
  async delete(path: ResourcePath, options?: DeleteOptions): Promise<KubeObject> {
    this.deleted.push({ path, ...(options ? { options } : {}) });
    if (this.fail) throw this.fail;
    return {} as KubeObject;
  }
}

function setup(...secrets: KubeObject[]): { client: RecordingClient; clock: FakeClock; cleaner: TokenCleaner } {
  const client = new RecordingClient();
  const store = new Store();
  for (const s of secrets) store.add(s);
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  return { client, clock, cleaner: new TokenCleaner({ client: client as never, secrets: { store }, clock, log: newLogger('test') }) };
}

void describe('tokencleaner', () => {
  void it('deletes a token expired for longer than the retention, with its uid as a precondition', async () => {
    const { client, cleaner } = setup(tokenSecret('aaaaaa', { expiration: '2025-12-31T22:59:59Z' }));
    assert.equal(await cleaner.reconcile('kube-system/bootstrap-token-aaaaaa'), undefined);
    assert.equal(client.deleted.length, 1);
    assert.equal(client.deleted[0]?.path.name, 'bootstrap-token-aaaaaa');
    assert.deepEqual(client.deleted[0]?.options?.preconditions, { uid: 'uid-aaaaaa' });
  });

  void it('rechecks a token at its expiry plus the retention, and deletes it then', async () => {
    const { client, clock, cleaner } = setup(tokenSecret('bbbbbb', { expiration: '2026-01-01T01:00:00Z' }));
    assert.deepEqual(await cleaner.reconcile('kube-system/bootstrap-token-bbbbbb'), { requeueAfterMs: 3_600_001 + EXPIRED_TOKEN_RETENTION_MS });
    assert.equal(client.deleted.length, 0);
    clock.advance(3_600_000 + EXPIRED_TOKEN_RETENTION_MS - 1);
    assert.ok(await cleaner.reconcile('kube-system/bootstrap-token-bbbbbb'), 'still kept at the last millisecond');
    assert.equal(client.deleted.length, 0);
    clock.advance(1);
    await cleaner.reconcile('kube-system/bootstrap-token-bbbbbb');
    assert.equal(client.deleted.length, 1);
  });

  void it('keeps tokens without (or with an unreadable) expiration, other Secret types and other namespaces', async () => {
    const other = tokenSecret('dddddd', { expiration: '2020-01-01T00:00:00Z' }, { type: 'Opaque' });
    const elsewhere = tokenSecret('eeeeee', { expiration: '2020-01-01T00:00:00Z' });
    elsewhere.metadata = { ...elsewhere.metadata, namespace: 'default' };
    const { client, cleaner } = setup(tokenSecret('cccccc'), tokenSecret('ffffff', { expiration: 'soon' }), other, elsewhere);
    for (const key of ['kube-system/bootstrap-token-cccccc', 'kube-system/bootstrap-token-ffffff', 'kube-system/bootstrap-token-dddddd', 'default/bootstrap-token-eeeeee', 'kube-system/missing']) {
      assert.equal(await cleaner.reconcile(key), undefined, key);
    }
    assert.equal(client.deleted.length, 0);
    assert.equal(tokenExpiry(tokenSecret('cccccc')), undefined);
  });

  void it('treats a vanished or replaced Secret as done, and retries other errors', async () => {
    const { client, cleaner } = setup(tokenSecret('gggggg', { expiration: '2025-01-01T00:00:00Z' }));
    client.fail = new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 409, reason: 'Conflict' });
    assert.equal(await cleaner.reconcile('kube-system/bootstrap-token-gggggg'), undefined);
    client.fail = new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 404, reason: 'NotFound' });
    assert.equal(await cleaner.reconcile('kube-system/bootstrap-token-gggggg'), undefined);
    client.fail = new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, reason: 'InternalError' });
    await assert.rejects(cleaner.reconcile('kube-system/bootstrap-token-gggggg'));
  });
});
