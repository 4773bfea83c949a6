/**
 * The example operator against a real (in-process) API server: a Greeting gets its ConfigMap, a Ready condition
 * and a finalizer; edits flow through; a deleted ConfigMap comes back (owns); deleting the Greeting cleans up.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kinds, type Manager } from '../../src/sdk/index.js';
import { eventually, startTestEnvironment, type TestEnvironment } from '../../src/sdk/testing/index.js';
import { FINALIZER, configMapName, setup, type Greeting } from './greeting-operator.js';

let env: TestEnvironment;
let manager: Manager;
const GREETING = { group: 'example.tkube.dev', version: 'v1', kind: 'Greeting', resource: 'greetings', namespaced: true } as const;

before(async () => {
  env = await startTestEnvironment();
  manager = env.newManager({ name: 'greeting-operator' });
  await setup(manager);
  await manager.start();
});

after(async () => {
  await env.stop();
});

async function configMapMessage(name: string): Promise<string | undefined> {
  const cm = await env.client.get<{ data?: Record<string, string> } & Greeting>(Kinds.ConfigMap, { namespace: 'default', name: configMapName(name) });
  return cm?.data?.['message'];
}

test('a Greeting gets its ConfigMap, a Ready condition and the finalizer', async () => {
  await env.client.create<Greeting>({ apiVersion: 'example.tkube.dev/v1', kind: 'Greeting', metadata: { name: 'world', namespace: 'default' }, spec: { to: 'world' } });
  assert.equal(await eventually(() => configMapMessage('world')), 'Hello, world!');
  const g = await eventually(async () => {
    const got = await env.client.get<Greeting>(GREETING, { namespace: 'default', name: 'world' });
    return got?.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True') ? got : undefined;
  });
  assert.ok(g.metadata?.finalizers?.includes(FINALIZER));
  assert.equal(g.status?.configMap, 'greeting-world');
  const cm = await env.client.get(Kinds.ConfigMap, { namespace: 'default', name: 'greeting-world' });
  assert.equal(cm?.metadata?.ownerReferences?.[0]?.kind, 'Greeting');
  assert.equal(cm?.metadata?.ownerReferences?.[0]?.controller, true);
});

test('an edit of the Greeting reaches the ConfigMap', async () => {
  const g = await env.client.get<Greeting>(GREETING, { namespace: 'default', name: 'world' });
  assert.ok(g);
  await env.client.patch(g, { spec: { message: 'Nice to meet you.' } });
  await eventually(async () => (await configMapMessage('world')) === 'Hello, world! Nice to meet you.');
});

test('a deleted ConfigMap is written again (owns wakes the owner)', async () => {
  const cm = await env.client.get(Kinds.ConfigMap, { namespace: 'default', name: 'greeting-world' });
  assert.ok(cm);
  const uid = cm.metadata?.uid;
  assert.equal(await env.client.delete(cm), true);
  await eventually(async () => {
    const again = await env.client.get(Kinds.ConfigMap, { namespace: 'default', name: 'greeting-world' });
    return again !== undefined && again.metadata?.uid !== uid;
  });
});

test('deleting the Greeting runs the finalizer: ConfigMap and Greeting are gone', async () => {
  const g = await env.client.get<Greeting>(GREETING, { namespace: 'default', name: 'world' });
  assert.ok(g);
  await env.client.delete(g);
  await eventually(async () => (await env.client.get(GREETING, { namespace: 'default', name: 'world' })) === undefined);
  assert.equal(await env.client.get(Kinds.ConfigMap, { namespace: 'default', name: 'greeting-world' }), undefined);
});
