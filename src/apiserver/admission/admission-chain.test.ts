import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StatusError } from '../../api/meta/status-error.js';
import { BUILTIN_RESOURCES } from '../../api/scheme.js';
import { FakeClock } from '../../base/clock/clock.js';
import { MemoryStorage } from '../../storage/memory/memory-storage.js';
import { GenericStore } from '../registry/generic-store.js';
import type { AdmissionAttributes } from './admission.js';
import { AdmissionChain } from './admission-chain.js';
import { admissionForbidden } from './admission-forbidden.js';

const CONFIGMAPS = BUILTIN_RESOURCES.find((r) => r.group === '' && r.resource === 'configmaps');

function setup() {
  const seen: string[] = [];
  const warnings: string[] = [];
  const chain = new AdmissionChain([
    {
      name: 'Stamp',
      admit: (a: AdmissionAttributes) => {
        seen.push(`admit ${a.operation} ${a.name} ${a.user.username}`);
        if (a.object) a.object.metadata = { ...a.object.metadata, labels: { stamped: 'yes' } };
      },
      validate: (a: AdmissionAttributes) => {
        seen.push(`validate ${a.operation} ${a.name} dryRun=${a.dryRun}`);
        if (a.name === 'refused') throw admissionForbidden(a, 'not this one');
        a.warn(`saw ${a.operation}`);
      },
    },
  ]);
  assert.ok(CONFIGMAPS);
  const store = new GenericStore({ resource: CONFIGMAPS, strategy: {}, storage: new MemoryStorage(), clock: new FakeClock(0), admission: chain });
  const admission = { user: { username: 'alice', groups: [] }, warn: (w: string) => void warnings.push(w) };
  return { store, seen, warnings, admission };
}

describe('admission in the generic store', () => {
  it('runs mutating then validating plugins on create, update and delete', async () => {
    const { store, seen, warnings, admission } = setup();
    const created = await store.create('ns', { metadata: { name: 'c' }, data: { a: '1' } }, { admission });
    assert.deepEqual(created.metadata?.labels, { stamped: 'yes' });
    await store.guaranteedUpdate('ns', 'c', (cur) => ({ ...cur, data: { a: '2' } }), { admission });
    await store.delete('ns', 'c', {}, { admission, dryRun: true });
    assert.deepEqual(seen, ['admit CREATE c alice', 'validate CREATE c dryRun=false', 'admit UPDATE c alice', 'validate UPDATE c dryRun=false', 'validate DELETE c dryRun=true']);
    assert.deepEqual(warnings, ['saw CREATE', 'saw UPDATE', 'saw DELETE']);
  });
  it('stores nothing a plugin refuses, and skips admission for writes without a request', async () => {
    const { store, seen, admission } = setup();
    await assert.rejects(store.create('ns', { metadata: { name: 'refused' } }, { admission }), (err) => err instanceof StatusError && err.status.code === 403);
    await assert.rejects(store.get('ns', 'refused'), (err) => err instanceof StatusError && err.status.code === 404);
    seen.length = 0;
    await store.create('ns', { metadata: { name: 'internal' } });
    assert.deepEqual(seen, []);
  });
});
