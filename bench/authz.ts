/**
 * Authorization benchmark: durable creates per second by a non-admin user whose rights come from a RoleBinding
 * (RBAC on) against the same creates on a server with `--authorization-mode AlwaysAllow`, in the same run.
 * Run: node --import tsx bench/authz.ts [--seconds N]
 *
 * Both servers know the user through a static token file; the RBAC one binds it to the `edit` ClusterRole in the
 * bench namespace (the admin certificate would skip RBAC: system:masters is allowed everything up front). Phases
 * alternate between the servers (64 keep-alive HTTPS clients each, ~2 KiB pods), so machine noise hits both alike.
 * Prints one JSON line. Target: RBAC creates/s ≥ 0.9 × AlwaysAllow creates/s.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { benchPod } from './bench-pod.js';
import { runClosedLoop } from './closed-loop.js';
import { round } from './latency-summary.js';
import { ServerProcess } from './server-process.js';

const CONCURRENCY = 64;
const ROUNDS = 2;
const WARMUP = 256;
const NAMESPACE = 'bench';
const TOKEN = 'bench-user-token-0123456789';

const secondsArg = process.argv.indexOf('--seconds');
// 8 s phases: with 4 s, JIT warm-up and noise on these shared machines moved the ratio between 0.84 and 1.04.
const phaseSeconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 8;

const tmp = mkdtempSync(join(tmpdir(), 'tkube-bench-authz-'));
const tokenFile = join(tmp, 'tokens.csv');
writeFileSync(tokenFile, `${TOKEN},bench-user,bench-uid,"bench-group"\n`);

const servers: ServerProcess[] = [];
try {
  const rbac = await ServerProcess.start({ serverArgs: ['--token-auth-file', tokenFile, '--authorization-mode', 'Node,RBAC'] });
  servers.push(rbac);
  const open = await ServerProcess.start({ serverArgs: ['--token-auth-file', tokenFile, '--authorization-mode', 'AlwaysAllow'] });
  servers.push(open);
  const sides = [
    { name: 'rbac', server: rbac, next: { i: 0 }, ops: 0, secs: 0, failures: 0, firstFailure: '' },
    { name: 'alwaysAllow', server: open, next: { i: 0 }, ops: 0, secs: 0, failures: 0, firstFailure: '' },
  ];
  for (const s of sides) {
    const admin = s.server.agent(4);
    await s.server.createNamespace(admin, NAMESPACE);
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'bench-edit', namespace: NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'User', name: 'bench-user', apiGroup: 'rbac.authorization.k8s.io' }],
    };
    const reply = await s.server.call(admin, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings`, JSON.stringify(binding));
    if (reply.status !== 201) throw new Error(`Cannot bind the bench user: HTTP ${reply.status} ${reply.body.toString('utf8').slice(0, 300)}`);
    admin.destroy();
  }
  const agents = sides.map((s) => new Agent({ keepAlive: true, maxSockets: CONCURRENCY, ca: s.server.credentials().ca }));
  const creator = (k: number) => async (i: number): Promise<void> => {
    const s = sides[k]!;
    const reply = await s.server.call(agents[k]!, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod(`p-${i}`, NAMESPACE), { Authorization: `Bearer ${TOKEN}` });
    if (reply.status !== 201) {
      s.failures++;
      s.firstFailure ||= `${s.name}: HTTP ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`;
    }
  };
  // The RoleBinding reaches the authorizer's cache through a watch: wait until the user may create.
  for (let tries = 0; ; tries++) {
    const r = await rbac.call(agents[0]!, 'POST', `/api/v1/namespaces/${NAMESPACE}/pods`, benchPod('probe', NAMESPACE), { Authorization: `Bearer ${TOKEN}` });
    if (r.status === 201) break;
    if (tries > 100) throw new Error(`Cannot benchmark authorization: the bench user still gets HTTP ${r.status}`);
    await new Promise((done) => setTimeout(done, 50));
  }
  for (let k = 0; k < sides.length; k++) {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => { for (let n = 0; n < WARMUP / CONCURRENCY; n++) await creator(k)(sides[k]!.next.i++); }));
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < sides.length; k++) {
      const s = sides[k]!;
      const res = await runClosedLoop(phaseSeconds, CONCURRENCY, s.next, creator(k));
      s.ops += res.completed;
      s.secs += res.seconds;
    }
  }
  const failed = sides.find((s) => s.failures > 0);
  if (failed) throw new Error(`Cannot benchmark authorization: ${failed.failures} creates failed, first: ${failed.firstFailure}`);
  for (const a of agents) a.destroy();
  const rbacRate = sides[0]!.ops / sides[0]!.secs;
  const openRate = sides[1]!.ops / sides[1]!.secs;
  process.stdout.write(`${JSON.stringify({
    bench: 'authz',
    concurrency: CONCURRENCY,
    secondsPerPhase: phaseSeconds,
    rounds: ROUNDS,
    rbacCreatesPerSec: round(rbacRate),
    alwaysAllowCreatesPerSec: round(openRate),
    ratio: round(rbacRate / openRate, 3),
  })}\n`);
} finally {
  for (const s of servers) await s.stop();
  rmSync(tmp, { recursive: true, force: true });
}
