// Byte encoding of a ConfChange as carried in a `confChange` log entry's data. Self-contained
// (no Kite or msgpack dependency) and versioned:
//   [version=1][type: 0 addVoter | 1 addLearner | 2 removeNode][u16 idLen][id utf8]
//   [u8 hasContext][u32 ctxLen][ctx]

import { RaftError } from '../errors.js';
import type { ConfChange, ConfChangeType } from '../types.js';

const VERSION = 1;
const types: readonly ConfChangeType[] = ['addVoter', 'addLearner', 'removeNode'];
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class ConfChangeDecodeError extends RaftError {
  readonly code = 'MalformedConfChange';
  override readonly name = 'ConfChangeDecodeError';
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const id = encoder.encode(cc.nodeId);
  if (id.byteLength > 0xffff) throw new ConfChangeDecodeError('node id longer than 65535 bytes');
  const ctx = cc.context;
  const out = new Uint8Array(2 + 2 + id.byteLength + 1 + (ctx === undefined ? 0 : 4 + ctx.byteLength));
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = types.indexOf(cc.type);
  view.setUint16(2, id.byteLength);
  out.set(id, 4);
  let at = 4 + id.byteLength;
  out[at++] = ctx === undefined ? 0 : 1;
  if (ctx !== undefined) {
    view.setUint32(at, ctx.byteLength);
    out.set(ctx, at + 4);
  }
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const fail = (why: string): never => {
    throw new ConfChangeDecodeError(`malformed conf change: ${why}`);
  };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 5) fail('too short');
  if (data[0] !== VERSION) fail(`unknown version ${data[0]}`);
  const type = types[data[1] as number] ?? fail(`unknown type ${data[1]}`);
  const idLen = view.getUint16(2);
  if (data.byteLength < 5 + idLen) fail('truncated id');
  const nodeId = decoder.decode(data.subarray(4, 4 + idLen));
  let at = 4 + idLen;
  const hasContext = data[at++] === 1;
  if (!hasContext) return { type, nodeId };
  if (data.byteLength < at + 4) fail('truncated context length');
  const ctxLen = view.getUint32(at);
  if (data.byteLength < at + 4 + ctxLen) fail('truncated context');
  return { type, nodeId, context: data.slice(at + 4, at + 4 + ctxLen) };
}
