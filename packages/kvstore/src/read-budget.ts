// The budget of one read request (a range, or every read of one txn together): the reply's
// estimated wire bytes and the index entries visited are charged WHILE the reply is built,
// and the read stops with ResponseTooLarge the moment a charge passes a limit, so a request
// never builds a reply it then refuses. An optional outer charge (the client connection's
// budget, owned by the server) sees every byte too and may refuse with its own error.
//
// Invariants: `bytes` and `keysScanned` only grow; a charge that throws has already counted
// (the error reports what was charged); charging is deterministic (a function of the data
// read), so apply-time reads fail alike on every replica.

import { ResponseTooLargeError } from './errors.js';
import type { KeyValue } from './types.js';

/**
 * Wire bytes of one key-value beyond its key and value: msgpack field names (~45 bytes) and
 * up to four integers. An estimate that errs high, so the budget bounds the real frame.
 */
export const KV_OVERHEAD_BYTES = 96;

/** A budget outside the request (e.g. one connection's) that sees the same charges. */
export interface ReadCharge {
  /** Throws when `bytes` more would pass the outer budget. */
  charge(bytes: number): void;
}

export interface ReadBudgetLimits {
  readonly maxResponseBytes: number;
  readonly maxKeysScanned: number;
}

export class ReadBudget {
  bytes = 0;
  keysScanned = 0;

  constructor(
    private readonly limits: ReadBudgetLimits,
    private readonly outer?: ReadCharge,
  ) {}

  /** A budget that never refuses (apply-time reads already bounded by their estimate). */
  static unlimited(): ReadBudget {
    return new ReadBudget({ maxResponseBytes: Number.POSITIVE_INFINITY, maxKeysScanned: Number.POSITIVE_INFINITY });
  }

  /** A budget with the same limits, nothing charged and no outer one: for estimates. */
  fresh(): ReadBudget {
    return new ReadBudget(this.limits);
  }

  chargeBytes(n: number): void {
    this.bytes += n;
    if (this.bytes > this.limits.maxResponseBytes) throw new ResponseTooLargeError('bytes', this.bytes, this.limits.maxResponseBytes);
    this.outer?.charge(n);
  }

  chargeScan(n = 1): void {
    this.keysScanned += n;
    if (this.keysScanned > this.limits.maxKeysScanned) throw new ResponseTooLargeError('keysScanned', this.keysScanned, this.limits.maxKeysScanned);
  }

  chargeKv(kv: KeyValue): void {
    this.chargeBytes(kvWireBytes(kv.key.byteLength, kv.value.byteLength));
  }
}

export function kvWireBytes(keyBytes: number, valueBytes: number): number {
  return keyBytes + valueBytes + KV_OVERHEAD_BYTES;
}
