// Field conversions between the proto loader's representation (int64 as decimal strings, bytes
// as Buffer, enums as names) and Kite's (safe-integer numbers, Uint8Array, string unions),
// shared by every etcd service. Bad input is an InvalidArgument KiteError naming the field,
// never a crash: a client may send any int64, and Kite's revisions and ids are safe integers.

import { KiteError, type KeyValue, type WatchEvent } from '@kite/protocol';
import type { EtcdMessage } from './handlers.js';

/** An int64 field as a safe integer (0 when absent). */
export function int64Of(msg: EtcdMessage, field: string): number {
  const v = msg[field];
  if (v === undefined || v === null || v === '') return 0;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,20}$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw new KiteError('InvalidArgument', `${field} must be an integer within ±2^53, got ${JSON.stringify(String(v).slice(0, 40))}`);
  return n;
}

/** A bytes field (empty when absent). */
export function bytesOf(msg: EtcdMessage, field: string): Uint8Array {
  const v = msg[field];
  if (v === undefined || v === null) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  throw new KiteError('InvalidArgument', `${field} must be bytes`);
}

/** A bytes field that means "absent" when empty (range_end). */
export function optionalBytesOf(msg: EtcdMessage, field: string): Uint8Array | undefined {
  const b = bytesOf(msg, field);
  return b.length === 0 ? undefined : b;
}

export function boolOf(msg: EtcdMessage, field: string): boolean {
  return msg[field] === true;
}

/** An enum field (a name, the loader's representation) mapped through `names`; the first name is the default. */
export function enumOf<T>(msg: EtcdMessage, field: string, names: Readonly<Record<string, T>>): T {
  const v = msg[field];
  const key = v === undefined || v === null ? Object.keys(names)[0] : String(v);
  const out = key === undefined ? undefined : names[key];
  if (out === undefined) throw new KiteError('InvalidArgument', `${field}: unknown value ${JSON.stringify(String(v).slice(0, 40))}`);
  return out;
}

/** A nested message field; an empty object when absent. */
export function messageOf(msg: EtcdMessage, field: string): EtcdMessage {
  const v = msg[field];
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) ? (v as EtcdMessage) : {};
}

export function keyValueOut(kv: KeyValue): EtcdMessage {
  return {
    key: kv.key,
    create_revision: String(kv.createRevision),
    mod_revision: String(kv.modRevision),
    version: String(kv.version),
    value: kv.value,
    lease: String(kv.lease),
  };
}

export function eventOut(e: WatchEvent): EtcdMessage {
  return {
    type: e.type === 'put' ? 'PUT' : 'DELETE',
    kv: keyValueOut(e.kv),
    ...(e.prevKv !== undefined ? { prev_kv: keyValueOut(e.prevKv) } : {}),
  };
}
