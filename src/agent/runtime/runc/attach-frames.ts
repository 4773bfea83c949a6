/**
 * The frames between the runc runtime and a container's shim on its attach socket (see shim.c): 1 type byte, a
 * 4-byte big-endian length, then the data. Shim to client: 1 stdout, 2 stderr. Client to shim: 0 stdin,
 * 4 resize (`<width> <height>`), 255 end of stdin.
 */

export const ATTACH_STDIN = 0;
export const ATTACH_STDOUT = 1;
export const ATTACH_STDERR = 2;
export const ATTACH_RESIZE = 4;
export const ATTACH_STDIN_END = 255;

/** The shim refuses larger client frames; bigger stdin chunks are split. */
const MAX_FRAME = 1 << 20;

/** encodeAttachFrames frames `data` (split into frames the shim accepts). */
export function encodeAttachFrames(type: number, data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let off = 0;
  do {
    const piece = data.subarray(off, off + MAX_FRAME);
    const head = Buffer.allocUnsafe(5);
    head[0] = type;
    head.writeUInt32BE(piece.length, 1);
    parts.push(head, piece);
    off += piece.length;
  } while (off < data.length);
  return Buffer.concat(parts);
}

/** AttachFrameDecoder reassembles frames from a byte stream, whatever the chunking. */
export class AttachFrameDecoder {
  #pending: Buffer = Buffer.alloc(0);

  /** push adds bytes and returns the frames now complete. */
  push(chunk: Buffer): { type: number; data: Buffer }[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: { type: number; data: Buffer }[] = [];
    while (this.#pending.length >= 5) {
      const len = this.#pending.readUInt32BE(1);
      if (this.#pending.length < 5 + len) break;
      frames.push({ type: this.#pending[0] ?? 0, data: this.#pending.subarray(5, 5 + len) });
      this.#pending = this.#pending.subarray(5 + len);
    }
    return frames;
  }
}
