/**
 * A tiny DNS client for tests: one question over UDP or TCP to a loopback server, decoded with dns-packet, with a
 * deadline so a server that stays silent fails the test instead of hanging it.
 */
import { createSocket } from 'node:dgram';
import { createConnection } from 'node:net';
import * as packet from 'dns-packet';

/** QueryOptions shape the question. */
export interface QueryOptions {
  readonly transport?: 'udp' | 'tcp';
  /** Add an OPT record with this payload size. */
  readonly ednsUdpSize?: number;
  /** @default 3000 */
  readonly timeoutMs?: number;
}

/** encodeQuery builds a recursion-desired query. */
export function encodeQuery(name: string, type: packet.RecordType, opts: QueryOptions = {}, id = Math.floor(Math.random() * 0x10000)): Buffer {
  return packet.encode({
    type: 'query',
    id,
    flags: packet.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    ...(opts.ednsUdpSize ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: opts.ednsUdpSize, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }] } : {}),
  });
}

/** sendRaw sends bytes and resolves with the raw reply, or undefined after the timeout. */
export function sendRaw(host: string, port: number, msg: Buffer, opts: QueryOptions = {}): Promise<Buffer | undefined> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  if (opts.transport === 'tcp') {
    return new Promise((resolve) => {
      const socket = createConnection({ host, port });
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (out: Buffer | undefined): void => {
        clearTimeout(timer);
        socket.destroy();
        resolve(out);
      };
      socket.on('error', () => done(undefined));
      socket.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(msg.length);
        socket.write(Buffer.concat([len, msg]));
      });
      socket.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
    });
  }
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const done = (out: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(out);
    };
    socket.on('message', (reply) => done(reply));
    socket.on('error', () => done(undefined));
    socket.send(msg, port, host);
  });
}

/** query asks one question and decodes the answer; rejects when no answer comes. */
export async function query(host: string, port: number, name: string, type: packet.RecordType, opts: QueryOptions = {}): Promise<packet.DecodedPacket & { rcode?: string }> {
  const reply = await sendRaw(host, port, encodeQuery(name, type, opts), opts);
  if (!reply) throw new Error(`no DNS answer for ${name} ${type} from ${host}:${port}`);
  return packet.decode(reply) as packet.DecodedPacket & { rcode?: string };
}
