// JSON ↔ handler objects for the JSON gateway, driven by the etcd proto message types, the way
// etcd's grpc-gateway (jsonpb with original field names) maps them:
// - in: field names as in the proto (snake_case) or their lowerCamelCase JSON names; bytes as
//   base64 (standard or URL-safe, padding optional); 64-bit integers as decimal strings or
//   JSON numbers; enums by name or number; `null` means "not set"; an unknown field, a value
//   of the wrong JSON type or an out-of-range number is a GatewayInputError (HTTP 400).
// - out: original field names, zero values left out (jsonpb without EmitDefaults: a PUT event
//   has no "type"), 64-bit integers as decimal strings, bytes as base64, enums by name; a set
//   oneof member is written even when it holds its zero value.
//
// Invariant: what `requestFromJson` returns has the exact shape @grpc/proto-loader gives the
// door's handlers (keepCase, longs and enums as strings, bytes as Buffer, defaults, oneofs),
// so one handler serves both doors. A handler object that does not fit its type (a programming
// error) throws a plain Error, never a GatewayInputError.

import protobuf from 'protobufjs';

/** The conversion @grpc/proto-loader applies for the door (the contract's loader options). */
const HANDLER_OBJECT_OPTIONS: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer, defaults: true, oneofs: true };

const INT64_TYPES: ReadonlySet<string> = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INT32_TYPES: ReadonlySet<string> = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32']);
const UNSIGNED_TYPES: ReadonlySet<string> = new Set(['uint64', 'fixed64', 'uint32', 'fixed32']);
const FLOAT_TYPES: ReadonlySet<string> = new Set(['double', 'float']);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const UINT32_MAX = 2 ** 32 - 1;

/** Base64, standard or URL-safe alphabet, padding optional (a 1-character tail is never valid). */
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]*={0,2}$/;
const DECIMAL_PATTERN = /^-?[0-9]+$/;

/** A request body that does not fit its message type: the gateway answers 400 (INVALID_ARGUMENT). */
export class GatewayInputError extends Error {
  override readonly name = 'GatewayInputError';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Field by proto name or JSON (lowerCamelCase) name; cached per type. */
const fieldIndexes = new WeakMap<protobuf.Type, ReadonlyMap<string, protobuf.Field>>();

function fieldIndex(type: protobuf.Type): ReadonlyMap<string, protobuf.Field> {
  let index = fieldIndexes.get(type);
  if (index === undefined) {
    const m = new Map<string, protobuf.Field>();
    for (const f of type.fieldsArray) {
      m.set(f.name, f);
      m.set(lowerCamel(f.name), f);
    }
    index = m;
    fieldIndexes.set(type, index);
  }
  return index;
}

function typeName(type: protobuf.Type): string {
  return type.fullName.replace(/^\./, '');
}

// ---------------------------------------------------------------------------------------------
// JSON → handler object

/**
 * A request body (already JSON.parse'd; `undefined` for an empty body) as the door's handlers
 * see a request of `type`.
 */
export function requestFromJson(type: protobuf.Type, json: unknown): Record<string, unknown> {
  const normalized = messageFromJson(type, json ?? {}, typeName(type));
  return type.toObject(type.fromObject(normalized), HANDLER_OBJECT_OPTIONS);
}

function messageFromJson(type: protobuf.Type, json: unknown, where: string): Record<string, unknown> {
  if (!isPlainObject(json)) throw new GatewayInputError(`${where}: expected a JSON object`);
  const index = fieldIndex(type);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const field = index.get(key);
    if (field === undefined) throw new GatewayInputError(`unknown field "${key}" in ${typeName(type)}`);
    if (value === null) continue;
    const at = `${where}.${field.name}`;
    if (field.map) throw new GatewayInputError(`${at}: map fields are not accepted by the gateway`);
    if (field.repeated) {
      if (!Array.isArray(value)) throw new GatewayInputError(`${at}: expected a JSON array`);
      out[field.name] = value.map((v, i) => valueFromJson(field, v, `${at}[${i}]`));
    } else {
      out[field.name] = valueFromJson(field, value, at);
    }
  }
  return out;
}

function valueFromJson(field: protobuf.Field, v: unknown, at: string): unknown {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) return messageFromJson(resolved, v, at);
  if (resolved instanceof protobuf.Enum) return enumFromJson(resolved, v, at);
  const t = field.type;
  if (t === 'string') {
    if (typeof v !== 'string') throw new GatewayInputError(`${at}: expected a string`);
    return v;
  }
  if (t === 'bool') {
    if (typeof v !== 'boolean') throw new GatewayInputError(`${at}: expected true or false`);
    return v;
  }
  if (t === 'bytes') return bytesFromJson(v, at);
  if (INT64_TYPES.has(t)) return int64FromJson(v, UNSIGNED_TYPES.has(t), at);
  if (INT32_TYPES.has(t)) return int32FromJson(v, UNSIGNED_TYPES.has(t), at);
  if (FLOAT_TYPES.has(t)) return floatFromJson(v, at);
  throw new Error(`assertion: proto field type ${t} of ${at} has no JSON mapping`);
}

function bytesFromJson(v: unknown, at: string): Buffer {
  if (typeof v !== 'string' || !BASE64_PATTERN.test(v) || v.replace(/=+$/, '').length % 4 === 1) {
    throw new GatewayInputError(`${at}: expected base64-encoded bytes`);
  }
  return Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function int64FromJson(v: unknown, unsigned: boolean, at: string): string {
  let n: bigint;
  if (typeof v === 'string' && DECIMAL_PATTERN.test(v)) n = BigInt(v);
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else throw new GatewayInputError(`${at}: expected an integer (a decimal string or a JSON number)`);
  const [min, max] = unsigned ? [0n, UINT64_MAX] : [INT64_MIN, INT64_MAX];
  if (n < min || n > max) throw new GatewayInputError(`${at}: ${n} is out of range for ${unsigned ? 'uint64' : 'int64'}`);
  return n.toString();
}

function int32FromJson(v: unknown, unsigned: boolean, at: string): number {
  const n = typeof v === 'string' && DECIMAL_PATTERN.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new GatewayInputError(`${at}: expected an integer`);
  const [min, max] = unsigned ? [0, UINT32_MAX] : [INT32_MIN, INT32_MAX];
  if (n < min || n > max) throw new GatewayInputError(`${at}: ${n} is out of range for ${unsigned ? 'uint32' : 'int32'}`);
  return n;
}

function floatFromJson(v: unknown, at: string): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || Number.isNaN(n)) throw new GatewayInputError(`${at}: expected a number`);
  return n;
}

function enumFromJson(e: protobuf.Enum, v: unknown, at: string): string {
  if (typeof v === 'string' && Object.hasOwn(e.values, v)) return v;
  if (typeof v === 'number' && Number.isInteger(v)) {
    const name = e.valuesById[v];
    if (name !== undefined) return name;
  }
  throw new GatewayInputError(`${at}: expected one of ${Object.keys(e.values).join(', ')}`);
}

// ---------------------------------------------------------------------------------------------
// handler object → JSON

/** A handler's response of `type` as etcd's gateway writes it (a JSON-ready object). */
export function responseToJson(type: protobuf.Type, obj: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return messageToJson(type, obj, typeName(type));
}

function messageToJson(type: protobuf.Type, obj: unknown, where: string): Record<string, unknown> {
  if (!isPlainObject(obj)) throw new Error(`assertion: ${where} is not an object`);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    if (v === undefined || v === null) continue;
    const at = `${where}.${field.name}`;
    if (field.repeated) {
      if (!Array.isArray(v)) throw new Error(`assertion: ${at} is not an array`);
      if (v.length > 0) out[field.name] = v.map((x, i) => valueToJson(field, x, `${at}[${i}]`).json);
      continue;
    }
    const { json, zero } = valueToJson(field, v, at);
    // A oneof member that is set is written as it is (proto3 tracks its presence).
    if (!zero || field.partOf !== null) out[field.name] = json;
  }
  return out;
}

function valueToJson(field: protobuf.Field, v: unknown, at: string): { json: unknown; zero: boolean } {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) return { json: messageToJson(resolved, v, at), zero: false };
  if (resolved instanceof protobuf.Enum) {
    const name = typeof v === 'number' ? resolved.valuesById[v] : v;
    if (typeof name !== 'string' || !Object.hasOwn(resolved.values, name)) throw new Error(`assertion: ${at} is not a value of ${resolved.name}`);
    return { json: name, zero: resolved.values[name] === 0 };
  }
  const t = field.type;
  if (t === 'bytes') {
    if (!(v instanceof Uint8Array)) throw new Error(`assertion: ${at} is not bytes`);
    return { json: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'), zero: v.byteLength === 0 };
  }
  if (INT64_TYPES.has(t)) {
    const s = int64ToString(v, at);
    return { json: s, zero: s === '0' };
  }
  if (t === 'string' && typeof v === 'string') return { json: v, zero: v === '' };
  if (t === 'bool' && typeof v === 'boolean') return { json: v, zero: !v };
  if ((INT32_TYPES.has(t) || FLOAT_TYPES.has(t)) && typeof v === 'number') return { json: v, zero: v === 0 };
  throw new Error(`assertion: ${at} (${t}) holds a ${typeof v}`);
}

function int64ToString(v: unknown, at: string): string {
  if (typeof v === 'string' && DECIMAL_PATTERN.test(v)) return BigInt(v).toString();
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  throw new Error(`assertion: ${at} is not a 64-bit integer`);
}
