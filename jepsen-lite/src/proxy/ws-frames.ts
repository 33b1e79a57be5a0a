// Incremental RFC 6455 frame splitting for the link proxy. The proxy never decodes or
// re-encodes a frame: it finds frame boundaries in a byte stream and forwards (or drops) each
// frame's exact bytes, so a frame that passes is bit-for-bit what the sender wrote (masked
// client frames stay masked with their own key).
//
// Frame layout: byte 0 = FIN | RSV1-3 | opcode; byte 1 = MASK | len7; len7 = 126 → 16-bit
// length follows, 127 → 64-bit length; then a 4-byte masking key if MASK; then the payload.

/** Largest frame the splitter accepts; bigger means a broken stream, and the link is cut. */
export const WS_FRAME_BYTES_MAX = 256 * 1024 * 1024;

export type FrameKind = 'continuation' | 'text' | 'binary' | 'close' | 'ping' | 'pong' | 'reserved';

export interface WsFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly kind: FrameKind;
  readonly masked: boolean;
  readonly headerBytes: number;
  readonly payloadBytes: number;
  /** The whole frame as received (header + payload). */
  readonly bytes: Buffer;
}

export class FrameTooLargeError extends Error {
  readonly code = 'FrameTooLarge';
}

export function frameKind(opcode: number): FrameKind {
  switch (opcode) {
    case 0: return 'continuation';
    case 1: return 'text';
    case 2: return 'binary';
    case 8: return 'close';
    case 9: return 'ping';
    case 10: return 'pong';
    default: return 'reserved';
  }
}

/** Control frames (opcode >= 8) may appear between the fragments of a data message. */
export const isControl = (f: WsFrame): boolean => f.opcode >= 8;

/** Header length and payload length at the start of `buf`, or null if the header is incomplete. */
export function readFrameHeader(buf: Buffer): { headerBytes: number; payloadBytes: number } | null {
  if (buf.length < 2) return null;
  const b1 = buf[1] as number;
  const masked = (b1 & 0x80) !== 0;
  const len7 = b1 & 0x7f;
  let headerBytes = 2;
  let payloadBytes = len7;
  if (len7 === 126) {
    if (buf.length < 4) return null;
    payloadBytes = buf.readUInt16BE(2);
    headerBytes = 4;
  } else if (len7 === 127) {
    if (buf.length < 10) return null;
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(WS_FRAME_BYTES_MAX)) throw new FrameTooLargeError(`frame of ${big} bytes`);
    payloadBytes = Number(big);
    headerBytes = 10;
  }
  if (masked) headerBytes += 4;
  if (payloadBytes > WS_FRAME_BYTES_MAX) throw new FrameTooLargeError(`frame of ${payloadBytes} bytes`);
  return { headerBytes, payloadBytes };
}

/** Accumulates stream chunks and yields whole frames in order. */
export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): WsFrame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: WsFrame[] = [];
    for (;;) {
      const h = readFrameHeader(this.pending);
      if (h === null) break;
      const total = h.headerBytes + h.payloadBytes;
      if (this.pending.length < total) break;
      const bytes = this.pending.subarray(0, total);
      this.pending = this.pending.subarray(total);
      const b0 = bytes[0] as number;
      const opcode = b0 & 0x0f;
      out.push({
        fin: (b0 & 0x80) !== 0, opcode, kind: frameKind(opcode), masked: ((bytes[1] as number) & 0x80) !== 0,
        headerBytes: h.headerBytes, payloadBytes: h.payloadBytes, bytes,
      });
    }
    return out;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }
}

/** The payload with the client's mask removed (a copy; the frame's bytes are untouched). */
export function unmaskedPayload(f: WsFrame): Buffer {
  const payload = Buffer.from(f.bytes.subarray(f.headerBytes));
  if (!f.masked) return payload;
  const key = f.bytes.subarray(f.headerBytes - 4, f.headerBytes);
  for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (key[i & 3] as number);
  return payload;
}

/** Builds one frame (tests and tools): client frames must be masked (RFC 6455 §5.3). */
export function encodeFrame(opcode: number, payload: Uint8Array, opts: { fin?: boolean; maskKey?: Uint8Array } = {}): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len <= 0xffff ? 2 : 8;
  const maskBytes = opts.maskKey === undefined ? 0 : 4;
  const out = Buffer.alloc(2 + ext + maskBytes + len);
  out[0] = ((opts.fin ?? true) ? 0x80 : 0) | (opcode & 0x0f);
  out[1] = (maskBytes > 0 ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) out.writeUInt16BE(len, 2);
  if (ext === 8) out.writeBigUInt64BE(BigInt(len), 2);
  const start = 2 + ext + maskBytes;
  if (opts.maskKey !== undefined) {
    out.set(opts.maskKey.subarray(0, 4), 2 + ext);
    for (let i = 0; i < len; i++) out[start + i] = (payload[i] as number) ^ (opts.maskKey[i & 3] as number);
  } else {
    out.set(payload, start);
  }
  return out;
}
