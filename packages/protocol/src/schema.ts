// The schema kit: field kinds an op's arguments are made of, each with its check and its
// TypeScript type, so an argument object is written once (a record of fields) and both its
// type (`Infer`) and its validator (`checkFields`) come from that one record.
// Invariants: checks are pure and deterministic (the store runs them at apply time on every
// replica, so a verdict may depend on the value and the constants in limits.ts only, never on
// a flag or the environment); a check allocates nothing unless it fails; a failure is a
// KiteError with the code and message the wire promises (InvalidArgument, RequestTooLarge,
// TooManyOps). Unknown fields are ignored: a request frame carries `id` and `op` beside them.

import { KiteError } from './errors.js';
import { KEY_BYTES_MAX } from './limits.js';

/**
 * The kinds checkFields tests inline (bytes: length in [lo, hi]; uint: value in [lo, hi];
 * bool), so the common fields cost no call; `custom` always calls `check`.
 */
export type FieldKind = 'bytes' | 'uint' | 'bool' | 'custom';

/** One field: whether it may be absent, and the check of a present (or required) value. */
export interface Field<T, O extends boolean = boolean> {
  readonly optional: O;
  readonly kind: FieldKind;
  readonly lo: number;
  readonly hi: number;
  /** Overrides the property name in messages (e.g. "lease TTL" for `ttl`); '' = the property name. */
  readonly label: string;
  /** Throws the typed error for a bad value (the one place each message is written); `name` names the field. */
  readonly check: (value: unknown, name: string) => void;
  /** Type only: never set. */
  readonly type?: T;
}

/** Every field has the same properties in the same order (one object shape: cheap to read in a loop). */
function field<T>(kind: FieldKind, lo: number, hi: number, check: (value: unknown, name: string) => void): Field<T, false> {
  return { optional: false, kind, lo, hi, label: '', check };
}

export type AnyField = Field<unknown>;
export type Fields = { readonly [name: string]: AnyField };

type TypeOf<F> = F extends Field<infer T> ? T : never;
type RequiredKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, true> ? never : K }[keyof F];
type OptionalKeys<F extends Fields> = { [K in keyof F]: F[K] extends Field<unknown, true> ? K : never }[keyof F];

/** The argument object a record of fields describes (optional fields are `?:`, all readonly). */
export type Infer<F extends Fields> = { readonly [K in RequiredKeys<F>]: TypeOf<F[K]> } & { readonly [K in OptionalKeys<F>]?: TypeOf<F[K]> };

// ---- errors (the wire's messages live here, once)

export function invalid(message: string): KiteError {
  return new KiteError('InvalidArgument', message);
}

export function tooLarge(what: string, actualBytes: number, limitBytes: number): KiteError {
  return new KiteError('RequestTooLarge', `${what} is ${actualBytes} bytes, over the limit of ${limitBytes} bytes`, { limitBytes, actualBytes });
}

export function tooManyOps(what: string, actual: number, limit: number): KiteError {
  return new KiteError('TooManyOps', `too many operations in txn request: ${actual} ${what}, limit ${limit}`, { limit });
}

/** A bad value as a message may quote it: short, and never a call into the value (no toString). */
export function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  switch (typeof v) {
    case 'object': return 'an object';
    case 'function': return 'a function';
    case 'string': return v.slice(0, 40);
    case 'symbol': return 'a symbol';
    default: return String(v).slice(0, 40);
  }
}

// ---- field kinds

export function optional<T>(f: Field<T>): Field<T, true> {
  return { optional: true, kind: f.kind, lo: f.lo, hi: f.hi, label: f.label, check: f.check };
}

/** The same check under another name in messages. */
export function labeled<T, O extends boolean>(f: Field<T, O>, label: string): Field<T, O> {
  return { optional: f.optional, kind: f.kind, lo: f.lo, hi: f.hi, label, check: f.check };
}

export function isBytes(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

/** Bytes of any length up to `bytesMax` (RequestTooLarge past it). */
export function bytes(bytesMax = Number.POSITIVE_INFINITY): Field<Uint8Array, false> {
  return field('bytes', 0, bytesMax, (v, name) => {
    if (!isBytes(v)) throw invalid(`${name} must be bytes`);
    if (v.byteLength > bytesMax) throw tooLarge(name, v.byteLength, bytesMax);
  });
}

/** A key: non-empty bytes of at most KEY_BYTES_MAX. */
export const key: Field<Uint8Array, false> = field('bytes', 1, KEY_BYTES_MAX, (v, name) => {
  if (!isBytes(v)) throw invalid(`${name} must be bytes`);
  if (v.byteLength === 0) throw invalid(`${name} is empty`);
  if (v.byteLength > KEY_BYTES_MAX) throw tooLarge(name, v.byteLength, KEY_BYTES_MAX);
});

/**
 * A range end: empty = just the key, `[0]` = every key >= key, else at most KEY_BYTES_MAX.
 * That it does not sort before its key is checked by the object it belongs to (checkRangeEnd).
 */
export const rangeEnd: Field<Uint8Array, true> = optional(bytes(KEY_BYTES_MAX));

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A safe integer >= min (0 or 1), and <= max when given: revisions, counts, ids, TTLs. */
export function uint(min: 0 | 1 = 0, max?: number): Field<number, false> {
  const wanted = max !== undefined ? `an integer from ${min} to ${max}` : min === 0 ? 'a non-negative integer' : 'a positive integer';
  const hi = max ?? Number.MAX_SAFE_INTEGER;
  return field('uint', min, hi, (v, name) => {
    if (!isInt(v) || v < min || v > hi) throw invalid(`${name} must be ${wanted}, got ${show(v)}`);
  });
}

/** Any safe integer (a compare's number may be anything the store compares against). */
export const int: Field<number, false> = field('uint', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, (v, name) => {
  if (!isInt(v)) throw invalid(`${name} must be an integer, got ${show(v)}`);
});

export const bool: Field<boolean, false> = field('bool', 0, 0, (v, name) => {
  if (typeof v !== 'boolean') throw invalid(`${name} must be a boolean`);
});

/** One of a fixed list of strings (a string-literal union). */
export function oneOf<const V extends string>(values: readonly V[]): Field<V, false> {
  const set: ReadonlySet<unknown> = new Set(values);
  const expected = values.join(', ');
  return field('custom', 0, 0, (v, name) => {
    if (!set.has(v)) throw invalid(`unknown ${name} ${show(v)} (one of ${expected})`);
  });
}

/** UTF-8 length of a string without encoding it (surrogate pairs count 4 bytes). */
export function utf8Bytes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** A non-empty string of at most `bytesMax` UTF-8 bytes (names, passwords, tokens). */
export function text(bytesMax: number): Field<string, false> {
  return field('custom', 0, 0, (v, name) => {
    if (typeof v !== 'string' || v.length === 0) throw invalid(`${name} must be a non-empty string`);
    // A string's UTF-8 length is between its length and 3 times it: count only when unsure.
    if (v.length > bytesMax || (v.length * 3 > bytesMax && utf8Bytes(v) > bytesMax)) throw invalid(`${name} is longer than ${bytesMax} bytes`);
  });
}

/** A string matching `pattern` (`what` says the expected form in the message). */
export function matching(pattern: RegExp, what: string): Field<string, false> {
  return field('custom', 0, 0, (v, name) => {
    if (typeof v !== 'string' || v.length > 2048 || !pattern.test(v)) throw invalid(`${name} must be ${what}`);
  });
}

/** A list of `min`..`max` items, each checked by `item`. */
export function list<T>(item: Field<T>, min: number, max: number, what: string): Field<readonly T[], false> {
  return field('custom', 0, 0, (v, name) => {
    if (!Array.isArray(v) || v.length < min || v.length > max) throw invalid(`${name} must be ${what}`);
    for (let i = 0; i < v.length; i++) item.check(v[i], name);
  });
}

/** A record of fields made ready to check: names, checks and message names in arrays (no for-in per request). */
export interface Shape<F extends Fields> {
  readonly fields: F;
  readonly names: readonly string[];
  readonly checks: readonly AnyField[];
  readonly labels: readonly string[];
}

/** Made once per record, at load. */
export function shape<F extends Fields>(fields: F): Shape<F> {
  const names = Object.keys(fields);
  const checks = names.map((n) => fields[n] as AnyField);
  return { fields, names, checks, labels: names.map((n, i) => checks[i]?.label || n) };
}

/** A nested object with its own fields (and, optionally, a check across them). */
export function object<F extends Fields>(fields: F, what: string, refine?: (v: Infer<F>) => void): Field<Infer<F>, false> {
  const s = shape(fields);
  return field('custom', 0, 0, (v, name) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) throw invalid(`${name} must be ${what}`);
    checkFields(s, v);
    refine?.(v as Infer<F>);
  });
}

/**
 * Checks every field of `s` on `value` (an object), in declaration order, so the first bad
 * field decides the error. Allocation-free on success.
 */
export function checkFields<F extends Fields>(s: Shape<F>, value: object): asserts value is Infer<F> {
  const r = value as Record<string, unknown>;
  const { names, checks, labels } = s;
  for (let i = 0; i < names.length; i++) {
    const v = r[names[i] as string];
    const f = checks[i] as AnyField;
    if (v === undefined && f.optional) continue;
    // The common kinds are tested here without a call; any failure goes to `check` for its message.
    switch (f.kind) {
      case 'bool':
        if (typeof v === 'boolean') continue;
        break;
      case 'bytes':
        if (v instanceof Uint8Array && v.byteLength >= f.lo && v.byteLength <= f.hi) continue;
        break;
      case 'uint':
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= f.lo && v <= f.hi) continue;
        break;
      default:
        break;
    }
    f.check(v, labels[i] as string);
  }
}
