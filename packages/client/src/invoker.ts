// One logical call = bounded attempts over the pool with back-off and jitter. Retry rules:
// - never sent (no link, link refused it): retry any op;
// - the member answered NotLeader or Unavailable (not marked indeterminate): the server
//   promises it did not propose the request, so retry any op (after telling the pool, which
//   may move to the leader, or to the next endpoint when the member has no leader);
// - a reply error marked `indeterminate` (e.g. Unavailable after the member's forward to the
//   leader was lost: the leader may have applied it) is like a link lost after sending: only
//   an idempotent op follows the rules by code; a write fails with it, still indeterminate (a
//   retried put would apply twice, a retried compare-and-set would report a false failure);
// - sent, then the link died, or the deadline/abort hit while waiting: retry only idempotent
//   ops; a write fails with `indeterminate: true` (it may or may not have been applied);
// - any other reply error is final (a server Timeout on a write is marked indeterminate).
//   A final error that follows an earlier attempt whose outcome is unknown (sent, reply lost)
//   carries `details.afterUnknownAttempt: true`: the error may be the earlier attempt's own
//   effect (e.g. LeaseNotFound from a revoke whose first attempt did revoke it).
// The whole call, waits included, is bounded by timeoutMs and the caller's AbortSignal.
// Arguments are checked first with the op schema the server runs (validateArgs): a bad one
// fails at once with the server's own error, without a round trip or a retry.

import { IDEMPOTENT_OPS, KiteError, validateArgs, type OkReply, type OpArgs, type OpName } from '@kite/protocol';
import { abortError, deadlineSignal, sleep } from './abort.js';
import { backoffDelayMs, type BackoffOptions } from './backoff.js';
import { LinkLostError } from './connection.js';
import type { ConnectionPool } from './pool.js';

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Retries after the first attempt (0 = one attempt). */
  readonly retries?: number;
  /** Overrides the op's default (e.g. a txn with only reads is safe to repeat). */
  readonly idempotent?: boolean;
}

export interface InvokerOptions {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  /** The lost-answer-as-failure client mutant only: a write whose answer was lost fails as definite. */
  readonly lostAnswerAsFailure?: boolean;
}

export class Invoker {
  constructor(
    private readonly pool: ConnectionPool,
    private readonly options: InvokerOptions,
  ) {}

  async call<O extends OpName>(op: O, args: OpArgs<O>, opts: CallOptions = {}): Promise<OkReply<O>> {
    validateArgs(op, args);
    const idempotent = opts.idempotent ?? IDEMPOTENT_OPS.has(op);
    const retries = opts.retries ?? this.options.retries;
    const { signal, dispose } = deadlineSignal(opts.timeoutMs ?? this.options.timeoutMs, opts.signal);
    try {
      let lastError: KiteError | null = null;
      /** Some earlier attempt was sent and its reply lost: it may have taken effect. */
      let unknownBefore = false;
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) {
          try {
            await sleep(backoffDelayMs(attempt - 1, this.options.backoff, this.options.random), signal);
          } catch {
            throw withCause(abortError(signal), lastError);
          }
        }
        const outcome = await this.attempt(op, args, signal, idempotent);
        if (outcome.kind === 'ok') return outcome.reply;
        if (outcome.kind === 'final') throw unknownBefore ? afterUnknownAttempt(outcome.error) : outcome.error;
        lastError = outcome.error;
        if (mayHaveTakenEffect(outcome.error)) unknownBefore = true;
      }
      throw lastError ?? new KiteError('Unavailable', `${op} failed`);
    } finally {
      dispose();
    }
  }

  private async attempt<O extends OpName>(
    op: O,
    args: OpArgs<O>,
    signal: AbortSignal,
    idempotent: boolean,
  ): Promise<{ kind: 'ok'; reply: OkReply<O> } | { kind: 'final' | 'retry'; error: KiteError }> {
    let conn;
    try {
      conn = await this.pool.acquire(signal);
    } catch (err) {
      if (signal.aborted) return { kind: 'final', error: abortError(signal) };
      return classifyUnsent(err);
    }
    try {
      return { kind: 'ok', reply: await conn.request(op, args, signal) };
    } catch (err) {
      if (signal.aborted) {
        // The request was on the wire: a write may have been applied.
        if (!idempotent && this.options.lostAnswerAsFailure === true) return { kind: 'final', error: definiteFailure(op, abortError(signal)) };
        return { kind: 'final', error: idempotent ? abortError(signal) : indeterminate(abortError(signal)) };
      }
      if (err instanceof LinkLostError) {
        if (!err.sent || idempotent) return { kind: 'retry', error: err };
        if (this.options.lostAnswerAsFailure === true) return { kind: 'final', error: definiteFailure(op, err) };
        return { kind: 'final', error: indeterminate(new KiteError('Unavailable', `${op}: ${err.message}; outcome unknown`)) };
      }
      if (err instanceof KiteError) {
        if (err.indeterminate && !idempotent) return { kind: 'final', error: err };
        if (err.code === 'NotLeader') {
          this.pool.noteNotLeader(conn);
          return { kind: 'retry', error: err };
        }
        if (err.code === 'Unavailable') {
          // `leader: null`: the member has no leader (e.g. the minority side of a partition).
          if (err.details.leader === null) this.pool.noteNoLeader(conn);
          return { kind: 'retry', error: err };
        }
        if (err.code === 'Unauthenticated' && err.details.reauthenticate === true && this.pool.hasCredentials) {
          // The link's token expired or was invalidated: nothing was done; log in again and retry.
          try {
            await this.pool.authenticate(conn, signal);
          } catch (loginErr) {
            return { kind: 'final', error: loginErr instanceof KiteError ? loginErr : err };
          }
          return { kind: 'retry', error: err };
        }
        if (err.code === 'Timeout' && !idempotent) return { kind: 'final', error: indeterminate(err) };
        return { kind: 'final', error: err };
      }
      throw err; // not a KiteError: a bug in the client, never swallowed
    }
  }
}

function classifyUnsent(err: unknown): { kind: 'final' | 'retry'; error: KiteError } {
  if (err instanceof LinkLostError) return { kind: 'retry', error: err };
  if (err instanceof KiteError) return { kind: err.code === 'Unavailable' ? 'retry' : 'final', error: err };
  throw err;
}

/** Whether a retried attempt's error leaves open that the request was applied. */
function mayHaveTakenEffect(err: KiteError): boolean {
  return err instanceof LinkLostError ? err.sent : err.indeterminate;
}

function afterUnknownAttempt(err: KiteError): KiteError {
  return new KiteError(err.code, err.message, { ...err.details, afterUnknownAttempt: true }, { cause: err });
}

/** The lost-answer-as-failure mutant's error: the lost answer reported as a definite failure. */
function definiteFailure(op: string, err: KiteError): KiteError {
  return new KiteError('Unavailable', `${op}: ${err.message}`, {}, { cause: err });
}

/** A copy of `err` marked indeterminate (the original may be shared, e.g. a signal reason). */
export function indeterminate(err: KiteError): KiteError {
  return new KiteError(err.code, err.message, { ...err.details, indeterminate: true }, { cause: err });
}

function withCause(err: KiteError, last: KiteError | null): KiteError {
  if (last === null) return err;
  return new KiteError(err.code, `${err.message} (last error: ${last.message})`, err.details, { cause: last });
}
