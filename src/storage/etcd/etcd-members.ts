/**
 * addEtcdMember: the etcd member API step of joining a new member to a running cluster (`etcdctl member add`):
 * announce its peer URL through an existing member, and get back the `--initial-cluster` the new member must start
 * with (every member's name and peer URLs, the new one under `name`).
 */
import { loadEtcd3 } from './etcd3-module.js';

/** EtcdClientTls is the client material for members serving TLS with client-certificate authentication. */
export interface EtcdClientTls {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * UNHEALTHY_WAIT_MS: how long a member add refused as "unhealthy cluster" ("re-configuration failed due to not
 * enough started members") is retried. etcd refuses to add a member while one added before has not started yet
 * (the cluster would lose quorum): servers joining together take turns.
 */
const UNHEALTHY_WAIT_MS = 60_000;

/** addEtcdMember adds a member with `peerUrl` through `clientUrls`; resolves with its `--initial-cluster` value. */
export async function addEtcdMember(clientUrls: readonly string[], tls: EtcdClientTls, name: string, peerUrl: string): Promise<string> {
  const deadline = Date.now() + UNHEALTHY_WAIT_MS;
  for (;;) {
    try {
      return await addEtcdMemberOnce(clientUrls, tls, name, peerUrl);
    } catch (err) {
      if (!/unhealthy cluster|not enough started members/i.test(err instanceof Error ? err.message : String(err)) || Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

async function addEtcdMemberOnce(clientUrls: readonly string[], tls: EtcdClientTls, name: string, peerUrl: string): Promise<string> {
  const { Etcd3 } = await loadEtcd3();
  const client = new Etcd3({
    hosts: [...clientUrls],
    credentials: { rootCertificate: Buffer.from(tls.caPem), certChain: Buffer.from(tls.certPem), privateKey: Buffer.from(tls.keyPem) },
  });
  try {
    const existing = await client.cluster.memberList({});
    // A member with this peer URL already (a join that failed after the add): start it rather than add again.
    const known = existing.members.some((m) => m.peerURLs.includes(peerUrl));
    const res = known ? existing : await client.cluster.memberAdd({ peerURLs: [peerUrl] });
    const parts: string[] = [];
    for (const m of res.members) {
      const mine = m.peerURLs.includes(peerUrl);
      for (const url of m.peerURLs) parts.push(`${mine ? name : m.name}=${url}`);
    }
    return parts.join(',');
  } finally {
    client.close();
  }
}
