/**
 * DnsServer: the cluster DNS server. It listens on one address and port over UDP (node:dgram) and TCP (node:net,
 * each message framed by a 2-byte length, RFC 1035 §4.2.2; pipelined queries allowed), answers names of the cluster
 * domain from a ClusterDnsZone, and forwards everything else to upstream resolvers.
 *
 * Contracts:
 *  - Zone answers are authoritative (AA), with RA set as a recursive server's; negative answers carry the SOA.
 *  - A UDP answer larger than 512 bytes, or than the client's EDNS payload size, goes out empty with TC set so the
 *    client retries over TCP.
 *  - Forwarded queries go to each upstream in turn with a timeout per try; when all fail the client gets SERVFAIL.
 *    A truncated upstream answer to a TCP client is fetched again over TCP.
 *  - SRV answers carry their targets' addresses in the additional section (dropped first when space is short).
 *  - An ExternalName CNAME is followed for A/AAAA questions (in the zone, or upstream), as CoreDNS does, so stub
 *    resolvers that do not chase CNAMEs still get addresses.
 *  - Input that does not parse is answered FORMERR when it has a header to answer, else dropped; responses sent to
 *    us are dropped (no loops); other opcodes get NOTIMP. Nothing a client sends can throw out of a handler.
 *  - Every query is counted in `metrics` (when given) once answered or dropped: type, rcode, latency, cache hit.
 *  - Zone answers are cached as encoded bytes keyed by the query's bytes after its ID, and the cache is dropped
 *    whenever the zone's generation moves: a repeated question costs one map lookup and a 2-byte ID patch.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, isIP, type Server, type Socket } from 'node:net';
import * as packet from 'dns-packet';
import type { Logger } from '../base/log/logger.js';
import type { ClusterDnsZone, ZoneRecord } from './cluster-dns-zone.js';
import type { AnswerSource, DnsMetrics } from './dns-metrics.js';
import type { Upstream } from './upstream-resolvers.js';

const RCODE_FORMERR = 1;
const RCODE_SERVFAIL = 2;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const HEADER_BYTES = 12;
const PLAIN_UDP_LIMIT = 512;
/** What we offer in our own OPT record (the DNS flag day 2020 value). */
const OUR_UDP_PAYLOAD = 1232;
const MAX_CACHE_ENTRIES = 20_000;
const MAX_CNAME_CHAIN = 8;
const TCP_IDLE_MS = 30_000;

/** DnsServerConfig constructs a DnsServer. */
export interface DnsServerConfig {
  readonly zone: ClusterDnsZone;
  /** The address to listen on, e.g. the node IP. */
  readonly address: string;
  /** 0 picks a free port (the same one for UDP and TCP). */
  readonly port: number;
  /** Where names outside the zone go; empty means SERVFAIL for them. */
  readonly upstreams: readonly Upstream[];
  /** @default 2000 */
  readonly upstreamTimeoutMs?: number;
  /** Where query counts, latencies and cache figures go (dns-metrics.ts). */
  readonly metrics?: DnsMetrics;
  readonly log: Logger;
}

type Transport = 'udp' | 'tcp';

/** DnsServer serves the zone and forwards the rest; see the file comment. */
export class DnsServer {
  readonly #c: DnsServerConfig;
  #udp: UdpSocket | undefined;
  #tcp: Server | undefined;
  readonly #connections = new Set<Socket>();
  readonly #cache = new Map<string, Buffer>();
  #cacheGeneration = -1;
  #port = 0;
  #stopped = false;

  constructor(config: DnsServerConfig) {
    this.#c = config;
  }

  /** The bound port (after start). */
  get port(): number {
    return this.#port;
  }

  /** start binds UDP and TCP on the same port; rejects with a plain message when it cannot. */
  async start(): Promise<number> {
    const tries = this.#c.port === 0 ? 10 : 1;
    let last: unknown;
    for (let i = 0; i < tries; i++) {
      const udp = createSocket({ type: isIP(this.#c.address) === 6 ? 'udp6' : 'udp4' });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(this.#c.port, this.#c.address, () => {
            udp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        throw new Error(`Cannot listen for DNS on ${this.#c.address}:${this.#c.port}/udp: ${describe(err)}`);
      }
      const port = udp.address().port;
      // Half-open allowed: a client may send its query and shut its side down before the (forwarded) answer comes.
      const tcp = createServer({ allowHalfOpen: true }, (s) => this.#onConnection(s));
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, this.#c.address, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        last = err;
        // Port 0: the UDP port may be taken for TCP; pick another.
        continue;
      }
      udp.on('message', (msg, rinfo) => this.#onUdp(msg, rinfo));
      udp.on('error', (err) => this.#c.log.warn('DNS UDP socket error', { err: err.message }));
      tcp.on('error', (err) => this.#c.log.warn('DNS TCP listener error', { err: err.message }));
      this.#udp = udp;
      this.#tcp = tcp;
      this.#port = port;
      this.#c.metrics?.setServer(this.#c.address, port);
      return port;
    }
    throw new Error(`Cannot listen for DNS on ${this.#c.address}:${this.#c.port}/tcp: ${describe(last)}`);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const s of this.#connections) s.destroy();
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    await Promise.all([
      udp ? new Promise<void>((resolve) => udp.close(() => resolve())) : undefined,
      tcp ? new Promise<void>((resolve) => tcp.close(() => resolve())) : undefined,
    ]);
  }

  #onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    const started = process.hrtime.bigint();
    const ipv6 = rinfo.family === 'IPv6';
    const send = (out: Buffer | undefined, cached: boolean, source: AnswerSource): void => {
      this.#observe(msg, out, 'udp', ipv6, started, cached, source);
      if (out && this.#udp && !this.#stopped) this.#udp.send(out, rinfo.port, rinfo.address);
    };
    const cached = this.#cached(msg, 'udp');
    if (cached) return send(cached, true, 'kubernetes');
    this.#answer(msg, 'udp').then((a) => send(a.out, false, a.source), (err: unknown) => this.#c.log.warn('Cannot answer DNS query', { err: describe(err) }));
  }

  #observe(msg: Buffer, out: Buffer | undefined, proto: Transport, ipv6: boolean, started: bigint, cached: boolean, source: AnswerSource): void {
    this.#c.metrics?.observe(msg, out, { proto, ipv6, seconds: Number(process.hrtime.bigint() - started) / 1e9, cached, source });
  }

  #onConnection(socket: Socket): void {
    this.#connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered: Buffer = Buffer.alloc(0);
    let pending = 0;
    let ended = false;
    socket.on('end', () => {
      ended = true;
      if (pending === 0) socket.end();
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const msg = buffered.subarray(2, 2 + len);
        buffered = buffered.subarray(2 + len);
        const started = process.hrtime.bigint();
        const write = (out: Buffer | undefined, cached = false, source: AnswerSource = 'server'): void => {
          this.#observe(msg, out, 'tcp', socket.remoteFamily === 'IPv6', started, cached, source);
          pending--;
          if (out && !socket.destroyed) {
            const framed = Buffer.allocUnsafe(2 + out.length);
            framed.writeUInt16BE(out.length, 0);
            out.copy(framed, 2);
            socket.write(framed);
          }
          if (ended && pending === 0) socket.end();
        };
        pending++;
        const cached = this.#cached(msg, 'tcp');
        if (cached) write(cached, true, 'kubernetes');
        else
          this.#answer(msg, 'tcp').then((a) => write(a.out, false, a.source), (err: unknown) => {
            this.#c.log.warn('Cannot answer DNS query', { err: describe(err) });
            write(undefined);
          });
      }
    });
  }

  /** #cached returns a ready answer for a query seen before (its ID patched in), if the zone has not changed. */
  #cached(msg: Buffer, transport: Transport): Buffer | undefined {
    if (msg.length < HEADER_BYTES) return undefined;
    if (this.#cacheGeneration !== this.#c.zone.generation) return undefined;
    const hit = this.#cache.get(cacheKey(msg, transport));
    if (!hit) return undefined;
    const out = Buffer.from(hit);
    out[0] = msg[0] ?? 0;
    out[1] = msg[1] ?? 0;
    return out;
  }

  #remember(msg: Buffer, transport: Transport, out: Buffer): void {
    if (this.#cacheGeneration !== this.#c.zone.generation) {
      this.#cache.clear();
      this.#cacheGeneration = this.#c.zone.generation;
    }
    if (this.#cache.size >= MAX_CACHE_ENTRIES) this.#cache.clear();
    this.#cache.set(cacheKey(msg, transport), out);
  }

  /** handle answers one DNS message; undefined means drop it. Exposed for tests of odd input. */
  async handle(msg: Buffer, transport: Transport): Promise<Buffer | undefined> {
    return (await this.#answer(msg, transport)).out;
  }

  /** #answer is handle, also saying which part answered (for the metrics). */
  async #answer(msg: Buffer, transport: Transport): Promise<{ out: Buffer | undefined; source: AnswerSource }> {
    const server = (out: Buffer | undefined): { out: Buffer | undefined; source: AnswerSource } => ({ out, source: 'server' });
    if (msg.length < HEADER_BYTES) return server(undefined);
    // A response sent to us is never answered (two servers must not bounce errors back and forth).
    if (((msg[2] ?? 0) & 0x80) !== 0) return server(undefined);
    let query: packet.DecodedPacket;
    try {
      query = packet.decode(msg);
    } catch {
      return server(headerOnly(msg, RCODE_FORMERR));
    }
    const opcode = ((query.flags ?? 0) >> 11) & 0xf;
    if (opcode !== 0) return server(headerOnly(msg, RCODE_NOTIMP));
    const question = query.questions?.[0];
    if (!question || (query.questions?.length ?? 0) !== 1) return server(headerOnly(msg, RCODE_FORMERR));
    const opt = query.additionals?.find((a): a is packet.OptAnswer => a.type === 'OPT');
    const limit = transport === 'tcp' ? 65535 : Math.max(PLAIN_UDP_LIMIT, opt ? opt.udpPayloadSize : PLAIN_UDP_LIMIT);
    const found = this.#c.zone.lookup(question.name, question.type);
    if (found.kind === 'notAuthoritative') return { out: await this.#forward(msg, transport), source: 'forward' };
    const generation = this.#c.zone.generation;
    let answers: packet.Answer[] = [];
    let authorities: packet.Answer[] = [];
    let additionals: packet.Answer[] = [];
    let rcode = 0;
    if (found.kind === 'answer') {
      answers = found.answers.map((r) => toAnswer(r, question.name));
      const last = found.answers[found.answers.length - 1];
      if (last?.type === 'CNAME' && question.type !== 'CNAME') answers.push(...(await this.#chase(last.data, question.type, query.flags ?? 0)));
      if (question.type === 'SRV') additionals = this.#targetAddresses(found.answers);
    } else {
      authorities = found.authority.map((r) => toAnswer(r, question.name));
      if (found.kind === 'nxdomain') rcode = RCODE_NXDOMAIN;
    }
    const response: packet.Packet = {
      type: 'response',
      id: query.id ?? 0,
      flags: FLAG_AA | FLAG_RA | ((query.flags ?? 0) & FLAG_RD) | rcode,
      questions: [question],
      answers,
      authorities,
      additionals: [...additionals, ...(opt ? [ourOpt()] : [])],
    };
    let out = packet.encode(response);
    // Additional records are optional (RFC 2181 §9): drop them before truncating the answer itself.
    if (out.length > limit && additionals.length > 0) out = packet.encode({ ...response, additionals: opt ? [ourOpt()] : [] });
    if (out.length > limit) out = packet.encode({ ...response, flags: (response.flags ?? 0) | FLAG_TC, answers: [], authorities: [], additionals: opt ? [ourOpt()] : [] });
    // Answers that needed an upstream (a chased CNAME) are not cached: their TTLs are the upstream's business.
    const chased = found.kind === 'answer' && answers.length !== found.answers.length;
    if (!chased && this.#c.zone.generation === generation) this.#remember(msg, transport, out);
    return { out, source: 'kubernetes' };
  }

  /** #targetAddresses are the zone's A/AAAA records of SRV targets, for the additional section (as CoreDNS sends). */
  #targetAddresses(records: readonly ZoneRecord[]): packet.Answer[] {
    const out: packet.Answer[] = [];
    const seen = new Set<string>();
    for (const r of records) {
      if (r.type !== 'SRV' || seen.has(r.data.target)) continue;
      seen.add(r.data.target);
      for (const type of ['A', 'AAAA']) {
        const found = this.#c.zone.lookup(r.data.target, type);
        if (found.kind === 'answer') out.push(...found.answers.filter((a) => a.type === type).map((a) => toAnswer(a, a.name)));
      }
    }
    return out;
  }

  /** #chase resolves a CNAME target: in the zone, or upstream for outside names; [] when it cannot. */
  async #chase(target: string, type: string, flags: number): Promise<packet.Answer[]> {
    if (type !== 'A' && type !== 'AAAA') return [];
    const out: packet.Answer[] = [];
    let name = target;
    for (let depth = 0; depth < MAX_CNAME_CHAIN; depth++) {
      const found = this.#c.zone.lookup(name, type);
      if (found.kind === 'notAuthoritative') {
        const query = packet.encode({ type: 'query', id: randomId(), flags: flags & FLAG_RD, questions: [{ name, type: type as packet.RecordType, class: 'IN' }] });
        const reply = await this.#forward(query, 'udp');
        if (!reply) return out;
        try {
          const decoded = packet.decode(reply);
          out.push(...(decoded.answers ?? []).filter((a) => a.type !== 'OPT'));
        } catch {
          // An undecodable upstream answer: keep the CNAME alone.
        }
        return out;
      }
      if (found.kind !== 'answer') return out;
      out.push(...found.answers.map((r) => toAnswer(r, r.name)));
      const last = found.answers[found.answers.length - 1];
      if (last?.type !== 'CNAME') return out;
      name = last.data;
    }
    return out;
  }

  /** #forward relays a query to the upstreams in turn; SERVFAIL when none answers. */
  async #forward(msg: Buffer, transport: Transport): Promise<Buffer | undefined> {
    const timeoutMs = this.#c.upstreamTimeoutMs ?? 2000;
    for (const upstream of this.#c.upstreams) {
      this.#c.metrics?.forwarded(`${upstream.host}:${upstream.port}`);
      let reply = await forwardUdp(msg, upstream, timeoutMs);
      if (reply && transport === 'tcp' && ((reply[2] ?? 0) & (FLAG_TC >> 8)) !== 0) reply = await forwardTcp(msg, upstream, timeoutMs);
      if (reply) return reply;
    }
    return headerOnly(msg, RCODE_SERVFAIL, true);
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'EACCES') return 'permission denied (ports below 1024 need root; try --cluster-dns-port)';
  if (e?.code === 'EADDRINUSE') return 'the port is in use';
  return err instanceof Error ? err.message : String(err);
}

function cacheKey(msg: Buffer, transport: Transport): string {
  return transport + msg.toString('latin1', 2);
}

function randomId(): number {
  return Math.floor(Math.random() * 0x10000);
}

function ourOpt(): packet.OptAnswer {
  return { type: 'OPT', name: '.', udpPayloadSize: OUR_UDP_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] };
}

/**
 * headerOnly answers with the query's ID, opcode and RD and the given rcode, echoing the question section when it
 * can be parsed (SERVFAIL) and nothing else (FORMERR, NOTIMP: the question may be what is broken).
 */
function headerOnly(msg: Buffer, rcode: number, withQuestion = false): Buffer {
  if (withQuestion) {
    try {
      const q = packet.decode(msg);
      return packet.encode({ type: 'response', id: q.id ?? 0, flags: ((q.flags ?? 0) & (0x7800 | FLAG_RD)) | FLAG_RA | rcode, questions: q.questions ?? [] });
    } catch {
      // Fall through to a bare header.
    }
  }
  const out = Buffer.alloc(HEADER_BYTES);
  out[0] = msg[0] ?? 0;
  out[1] = msg[1] ?? 0;
  // QR, the query's opcode and RD; RA; the rcode.
  out[2] = 0x80 | ((msg[2] ?? 0) & 0x79);
  out[3] = 0x80 | rcode;
  return out;
}

/** toAnswer turns a zone record into a wire record; a record at the question's name keeps the question's spelling. */
function toAnswer(r: ZoneRecord, questionName: string): packet.Answer {
  const name = r.name === questionName.toLowerCase().replace(/\.$/, '') ? questionName : r.name;
  switch (r.type) {
    case 'SRV':
      return { type: 'SRV', name, ttl: r.ttl, class: 'IN', data: { ...r.data } };
    case 'SOA':
      return { type: 'SOA', name: r.name, ttl: r.ttl, class: 'IN', data: { ...r.data } };
    default:
      return { type: r.type, name, ttl: r.ttl, class: 'IN', data: r.data };
  }
}

/** forwardUdp sends a query to one upstream from a fresh socket (so IDs never collide); undefined on timeout. */
function forwardUdp(msg: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket(isIP(upstream.host.split('%')[0] ?? '') === 6 ? 'udp6' : 'udp4');
    const id = msg.readUInt16BE(0);
    let done = false;
    const finish = (out: Buffer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(out);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('message', (reply, rinfo) => {
      if (rinfo.port !== upstream.port || reply.length < HEADER_BYTES || reply.readUInt16BE(0) !== id) return;
      finish(reply);
    });
    socket.send(msg, upstream.port, upstream.host, (err) => {
      if (err) finish(undefined);
    });
  });
}

/** forwardTcp asks one upstream over TCP; undefined on any failure or timeout. */
function forwardTcp(msg: Buffer, upstream: Upstream, timeoutMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: upstream.host, port: upstream.port });
    let buffered: Buffer = Buffer.alloc(0);
    let done = false;
    const finish = (out: Buffer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('error', () => finish(undefined));
    socket.on('close', () => finish(undefined));
    socket.on('connect', () => {
      const framed = Buffer.allocUnsafe(2 + msg.length);
      framed.writeUInt16BE(msg.length, 0);
      msg.copy(framed, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) finish(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
    });
  });
}
