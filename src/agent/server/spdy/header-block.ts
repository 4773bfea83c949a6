/**
 * SPDY/3 header blocks: the name/value block format and its zlib compression (SPDY draft 3, section 2.6.10).
 *
 * Block format (before compression): a 32-bit count of pairs, then per pair a 32-bit length and the name
 * (lower case), a 32-bit length and the value. One name may carry several values separated by NUL.
 *
 * Compression is stateful for the whole session and per direction: every header block a peer sends goes through
 * one zlib deflate context seeded with the SPDY/3 dictionary and ends with a sync flush, so the receiver's
 * single inflate context can decode each block as it arrives. That is why a block cannot be (de)compressed
 * with the one-shot `deflateSync`; `ZlibContext` keeps a node:zlib stream alive and serializes its uses.
 */
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frame.js';

/** SpdyHeaders maps lower-case header names to their values (a name may repeat). */
export type SpdyHeaders = Readonly<Record<string, readonly string[]>>;

/** A header block larger than this (decompressed) is a protocol error, so a peer cannot make us buffer much. */
const MAX_HEADER_BLOCK_BYTES = 256 * 1024;

/** encodeHeaderBlock renders headers to the uncompressed block format; names are lower-cased. */
export function encodeHeaderBlock(headers: Readonly<Record<string, string | readonly string[]>>): Buffer {
  const entries = Object.entries(headers);
  const parts: Buffer[] = [];
  const count = Buffer.alloc(4);
  count.writeUInt32BE(entries.length);
  parts.push(count);
  for (const [name, value] of entries) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(typeof value === 'string' ? value : value.join('\0'), 'utf8');
    const ln = Buffer.alloc(4);
    ln.writeUInt32BE(n.length);
    const lv = Buffer.alloc(4);
    lv.writeUInt32BE(v.length);
    parts.push(ln, n, lv, v);
  }
  return Buffer.concat(parts);
}

/** decodeHeaderBlock parses an uncompressed block; throws SpdyProtocolError when it is malformed. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const out: Record<string, string[]> = {};
  if (block.length < 4) throw new SpdyProtocolError('SPDY header block too short');
  const n = block.readUInt32BE(0);
  let at = 4;
  const take = (): string => {
    if (at + 4 > block.length) throw new SpdyProtocolError('SPDY header block truncated');
    const len = block.readUInt32BE(at);
    at += 4;
    if (at + len > block.length) throw new SpdyProtocolError('SPDY header block truncated');
    const s = block.toString('utf8', at, at + len);
    at += len;
    return s;
  };
  for (let i = 0; i < n; i++) {
    const name = take().toLowerCase();
    const values = take().split('\0');
    out[name] = [...(out[name] ?? []), ...values];
  }
  return out;
}

/** firstHeader is the first value of `name` (case-insensitive), or undefined. */
export function firstHeader(headers: SpdyHeaders, name: string): string | undefined {
  return headers[name.toLowerCase()]?.[0];
}

/**
 * ZlibContext is one long-lived deflate or inflate context. Each `process` call feeds one block and sync-flushes,
 * resolving with exactly the output that block produced; calls are serialized in call order, which is the order
 * the blocks must take on the wire.
 */
class ZlibContext {
  readonly #z: Deflate | Inflate;
  #out: Buffer[] = [];
  #outBytes = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #error: Error | undefined;

  constructor(z: Deflate | Inflate) {
    this.#z = z;
    z.on('data', (c: Buffer) => {
      this.#out.push(c);
      this.#outBytes += c.length;
    });
    z.on('error', (e: Error) => (this.#error = e));
  }

  process(input: Buffer): Promise<Buffer> {
    const run = async (): Promise<Buffer> => {
      this.#check();
      this.#z.write(input);
      await new Promise<void>((resolve) => {
        // A corrupt block makes zlib emit 'error' and maybe never call back; either ends the wait.
        const done = (): void => {
          this.#z.off('error', done);
          resolve();
        };
        this.#z.once('error', done);
        this.#z.flush(constants.Z_SYNC_FLUSH, done);
      });
      this.#check();
      if (this.#outBytes > MAX_HEADER_BLOCK_BYTES) throw new SpdyProtocolError(`SPDY header block exceeds ${MAX_HEADER_BLOCK_BYTES} bytes`);
      const out = Buffer.concat(this.#out);
      this.#out = [];
      this.#outBytes = 0;
      return out;
    };
    const p = this.#chain.then(run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  close(): void {
    this.#z.close();
  }

  #check(): void {
    if (this.#error) throw new SpdyProtocolError(`SPDY header compression failed: ${this.#error.message}`);
  }
}

/** HeaderCompressor compresses the header blocks one side sends, for the life of a session. */
export class HeaderCompressor {
  readonly #ctx = new ZlibContext(createDeflate({ dictionary: SPDY3_DICTIONARY, level: constants.Z_BEST_COMPRESSION }));

  compress(headers: Readonly<Record<string, string | readonly string[]>>): Promise<Buffer> {
    return this.#ctx.process(encodeHeaderBlock(headers));
  }

  close(): void {
    this.#ctx.close();
  }
}

/** HeaderDecompressor decodes the header blocks the peer sends, for the life of a session. */
export class HeaderDecompressor {
  readonly #ctx = new ZlibContext(createInflate({ dictionary: SPDY3_DICTIONARY }));

  async decompress(block: Buffer): Promise<SpdyHeaders> {
    // An empty block (some peers send SYN_REPLY without one) means no headers and leaves the context untouched.
    if (block.length === 0) return {};
    return decodeHeaderBlock(await this.#ctx.process(block));
  }

  close(): void {
    this.#ctx.close();
  }
}
