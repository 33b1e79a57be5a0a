// Expected errors that cross the wire. Every one has a stable string `code` (part of the
// protocol: never rename one) plus optional structured details. A reply carries
// `{code, message, ...details}`; `fromWireError` rebuilds a KiteError on the other side and
// `toWireError` turns anything thrown into a reply-safe object (unknown throwables become
// `Internal` so a bug never leaks a stack trace to a client).

export const ERROR_CODES = [
  'NotLeader',
  'Compacted',
  'FutureRevision',
  'LeaseNotFound',
  'RequestTooLarge',
  'ResponseTooLarge',
  'InvalidArgument',
  'Unavailable',
  'Timeout',
  'NoSpace',
  'TooManyWatches',
  'UnknownOp',
  'MalformedFrame',
  'WrongCluster',
  'DuplicateKey',
  'TooManyOps',
  'Unauthenticated',
  'PermissionDenied',
  'Canceled',
  /**
   * The member found its own stored data damaged (a checksum or record count mismatch), or a
   * CORRUPT alarm is armed (replicas differ): writes are refused until it is disarmed.
   */
  'Corrupt',
  'Internal',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && CODE_SET.has(x);
}

/**
 * Structured details. Which fields appear depends on the code:
 * - NotLeader: `leader` (member id or null when unknown), `leaderClientUrls`
 * - Compacted: `compactRevision`; FutureRevision: `currentRevision`
 * - RequestTooLarge: `limitBytes`, `actualBytes`; TooManyOps / TooManyWatches: `limit`
 * - ResponseTooLarge: `limitBytes` (the reply budget) or `limit` (the keys-scanned budget), and
 *   `actualBytes`: what was charged when the read stopped (a lower bound of the full reply)
 * - Unauthenticated: `reauthenticate` (token expired/invalidated), `retryAfterMs` (login throttled)
 * - LeaseNotFound: `lease`; WrongCluster: `expectedClusterId`, `actualClusterId`
 * - any code, client side only: `indeterminate` (the request may or may not have taken effect)
 */
export interface KiteErrorDetails {
  readonly leader?: string | null;
  readonly leaderClientUrls?: readonly string[];
  readonly compactRevision?: number;
  readonly currentRevision?: number;
  readonly limitBytes?: number;
  readonly actualBytes?: number;
  readonly limit?: number;
  readonly lease?: number;
  readonly expectedClusterId?: string;
  readonly actualClusterId?: string;
  readonly indeterminate?: boolean;
  /** Unauthenticated: the link's token expired or was invalidated; log in again and retry. */
  readonly reauthenticate?: boolean;
  /** Unauthenticated after too many failed logins: when another attempt is accepted. */
  readonly retryAfterMs?: number;
  readonly [extra: string]: unknown;
}

/** The error object inside an `{ok: false}` reply. */
export interface WireError extends KiteErrorDetails {
  readonly code: ErrorCode;
  readonly message: string;
}

export class KiteError extends Error {
  override readonly name = 'KiteError';
  readonly code: ErrorCode;
  readonly details: KiteErrorDetails;

  constructor(code: ErrorCode, message: string, details: KiteErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /**
   * True when the request may have been applied although no reply arrived (connection lost
   * after sending a write). Callers must not assume either outcome.
   */
  get indeterminate(): boolean {
    return this.details.indeterminate === true;
  }
}

export function isKiteError(x: unknown, code?: ErrorCode): x is KiteError {
  return x instanceof KiteError && (code === undefined || x.code === code);
}

/** Never put these detail keys on the wire: they would shadow the envelope. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['code', 'message']);

export function toWireError(err: unknown): WireError {
  if (err instanceof KiteError) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(err.details)) {
      if (!RESERVED_KEYS.has(k) && v !== undefined) out[k] = v;
    }
    return { ...out, code: err.code, message: err.message };
  }
  return { code: 'Internal', message: 'internal error' };
}

/** Rebuilds a KiteError from a wire error object; anything malformed becomes MalformedFrame. */
export function fromWireError(w: unknown): KiteError {
  if (typeof w !== 'object' || w === null || Array.isArray(w)) {
    return new KiteError('MalformedFrame', 'error reply without an error object');
  }
  const rec = w as Record<string, unknown>;
  const message = typeof rec['message'] === 'string' ? rec['message'] : '';
  if (!isErrorCode(rec['code'])) {
    return new KiteError('Internal', `unknown error code ${String(rec['code'])}: ${message}`);
  }
  const details: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (!RESERVED_KEYS.has(k)) details[k] = v;
  }
  return new KiteError(rec['code'], message, details);
}
