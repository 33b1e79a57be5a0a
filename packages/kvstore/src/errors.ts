// Expected errors of the state machine. Each has a stable string `code` from the wire
// protocol's list (@kite/protocol ERROR_CODES) and structured `details` with the same field
// names the protocol uses, so the server maps them 1:1 onto replies. Requests that fail with
// one of these fail identically on every replica and never change the store.
// Broken invariants are not KvErrors: they throw AssertionError (see assert.ts) and crash.

export type KvErrorCode =
  | 'Compacted'
  | 'FutureRevision'
  | 'LeaseNotFound'
  | 'RequestTooLarge'
  | 'ResponseTooLarge'
  | 'InvalidArgument'
  | 'DuplicateKey'
  | 'TooManyOps'
  | 'MalformedFrame';

export interface KvErrorDetails {
  readonly compactRevision?: number;
  readonly currentRevision?: number;
  readonly limitBytes?: number;
  readonly actualBytes?: number;
  readonly limit?: number;
  readonly lease?: number;
}

export class KvError extends Error {
  override readonly name: string = 'KvError';
  readonly code: KvErrorCode;
  readonly details: KvErrorDetails;

  constructor(code: KvErrorCode, message: string, details: KvErrorDetails = {}) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

export function isKvError(x: unknown, code?: KvErrorCode): x is KvError {
  return x instanceof KvError && (code === undefined || x.code === code);
}

/** A read or watch below the compacted revision. */
export class CompactedError extends KvError {
  override readonly name = 'CompactedError';
  constructor(revision: number, compactRevision: number) {
    super('Compacted', `revision ${revision} has been compacted (compacted revision ${compactRevision})`, {
      compactRevision,
    });
  }
}

/** A read or compaction at a revision the store has not reached yet. */
export class FutureRevisionError extends KvError {
  override readonly name = 'FutureRevisionError';
  constructor(revision: number, currentRevision: number) {
    super('FutureRevision', `revision ${revision} is newer than the current revision ${currentRevision}`, {
      currentRevision,
    });
  }
}

export class LeaseNotFoundError extends KvError {
  override readonly name = 'LeaseNotFoundError';
  constructor(lease: number) {
    super('LeaseNotFound', `lease ${lease} not found`, { lease });
  }
}

/** A lease grant with an id already in use (the protocol maps "exists" onto DuplicateKey). */
export class LeaseExistsError extends KvError {
  override readonly name = 'LeaseExistsError';
  constructor(lease: number) {
    super('DuplicateKey', `lease ${lease} already exists`, { lease });
  }
}

export class RequestTooLargeError extends KvError {
  override readonly name = 'RequestTooLargeError';
  constructor(what: string, actualBytes: number, limitBytes: number) {
    super('RequestTooLarge', `${what} is ${actualBytes} bytes, over the limit of ${limitBytes} bytes`, {
      limitBytes,
      actualBytes,
    });
  }
}

/**
 * A read whose reply would pass its budget (bytes) or whose scan would pass its keys-scanned
 * bound. Thrown while reading, at the limit: the reply was never built in full.
 */
export class ResponseTooLargeError extends KvError {
  override readonly name = 'ResponseTooLargeError';
  constructor(what: 'bytes' | 'keysScanned', charged: number, limit: number) {
    super(
      'ResponseTooLarge',
      what === 'bytes'
        ? `the reply would exceed the limit of ${limit} bytes (stopped after ${charged}); page the read: ask for fewer keys with limit, continue from the last key returned, and pin every page to the first page's revision`
        : `the read would scan more than ${limit} keys; split it into smaller key ranges (or fewer ranges per txn) and pin them to one revision`,
      what === 'bytes' ? { limitBytes: limit, actualBytes: charged } : { limit, actualBytes: charged },
    );
  }
}

export class InvalidArgumentError extends KvError {
  override readonly name = 'InvalidArgumentError';
  constructor(message: string) {
    super('InvalidArgument', message);
  }
}

/** Two writes to the same key (or a put inside a deleted range) in one txn branch. */
export class DuplicateKeyError extends KvError {
  override readonly name = 'DuplicateKeyError';
  constructor(message = 'duplicate key given in txn request') {
    super('DuplicateKey', message);
  }
}

export class TooManyOpsError extends KvError {
  override readonly name = 'TooManyOpsError';
  constructor(what: string, actual: number, limit: number) {
    super('TooManyOps', `too many operations in txn request: ${actual} ${what}, limit ${limit}`, { limit });
  }
}

/** A command that cannot be decoded (unknown version or shape). */
export class MalformedCommandError extends KvError {
  override readonly name = 'MalformedCommandError';
  constructor(message: string) {
    super('MalformedFrame', message);
  }
}
