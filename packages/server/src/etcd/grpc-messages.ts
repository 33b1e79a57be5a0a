// gRPC's length-prefixed messages on an HTTP/2 stream (the gRPC-over-HTTP/2 wire format): each
// message is a 1-byte compressed flag, a 4-byte big-endian length and that many bytes. The
// decoder takes DATA chunks as HTTP/2 delivers them (a message may span chunks, a chunk may
// hold many messages) and hands back whole messages.
//
// Invariants: a message whose declared length is over `messageBytesMax` is refused from its
// 5-byte prefix, before any of its body is buffered; the decoder holds at most one partial
// message (bounded by that limit) between chunks. The door never compresses and advertises
// only `identity`, so a compressed message is refused (the gRPC spec's UNIMPLEMENTED).

/** Bytes of the compressed flag and the length before every message. */
export const GRPC_PREFIX_BYTES = 5;

export type GrpcDecodeRefusal =
  | { readonly kind: 'tooLarge'; readonly messageBytes: number }
  | { readonly kind: 'compressed' };

export class GrpcMessageDecoder {
  /** The partial message being assembled (prefix included); empty between messages. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The body length of the message being assembled, once its prefix is complete. */
  private bodyBytes = -1;

  constructor(private readonly messageBytesMax: number) {}

  /** Whole messages completed by `chunk`, or why the stream must be refused. */
  push(chunk: Buffer): Buffer[] | GrpcDecodeRefusal {
    const out: Buffer[] = [];
    let at = 0;
    // The common case: no partial message, whole messages inside one chunk, no copying.
    while (this.pendingBytes === 0 && chunk.length - at >= GRPC_PREFIX_BYTES) {
      const refusal = this.checkPrefix(chunk, at);
      if (refusal !== null) return refusal;
      const length = chunk.readUInt32BE(at + 1);
      if (chunk.length - at - GRPC_PREFIX_BYTES < length) break;
      out.push(chunk.subarray(at + GRPC_PREFIX_BYTES, at + GRPC_PREFIX_BYTES + length));
      at += GRPC_PREFIX_BYTES + length;
    }
    while (at < chunk.length) {
      if (this.bodyBytes < 0) {
        // Still reading a prefix: take what completes it.
        const take = Math.min(GRPC_PREFIX_BYTES - this.pendingBytes, chunk.length - at);
        this.append(chunk.subarray(at, at + take));
        at += take;
        if (this.pendingBytes < GRPC_PREFIX_BYTES) break;
        const prefix = Buffer.concat(this.pending);
        const refusal = this.checkPrefix(prefix, 0);
        if (refusal !== null) return refusal;
        this.pending = [prefix];
        this.bodyBytes = prefix.readUInt32BE(1);
      }
      const want = GRPC_PREFIX_BYTES + this.bodyBytes - this.pendingBytes;
      const take = Math.min(want, chunk.length - at);
      this.append(chunk.subarray(at, at + take));
      at += take;
      if (take < want) break;
      out.push(Buffer.concat(this.pending).subarray(GRPC_PREFIX_BYTES));
      this.pending = [];
      this.pendingBytes = 0;
      this.bodyBytes = -1;
      // Back to the copy-free path for the rest of the chunk.
      const rest = this.push(chunk.subarray(at));
      if (!Array.isArray(rest)) return rest;
      out.push(...rest);
      return out;
    }
    return out;
  }

  private append(part: Buffer): void {
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private checkPrefix(buf: Buffer, at: number): GrpcDecodeRefusal | null {
    if (buf[at] !== 0) return { kind: 'compressed' };
    const length = buf.readUInt32BE(at + 1);
    return length > this.messageBytesMax ? { kind: 'tooLarge', messageBytes: length } : null;
  }
}

/** One message as it goes on the wire: the uncompressed prefix, then the bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, GRPC_PREFIX_BYTES);
  return out;
}
