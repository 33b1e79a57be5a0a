// Command validation at apply time, pure and deterministic: the same command gives the same
// verdict on every replica (a bad command becomes a typed error result, never a crash or a
// divergence). The argument rules are @kite/protocol's op schema (the same checks the server
// runs before proposing), with its constants only; this module adds what is the store's own:
// the command envelope, the lease commands' stored form, and the txn write-set rule, which
// needs the store's key intervals. Nothing here reads store state.

import {
  KEYS_SCANNED_MAX, KiteError, LEASE_GRANT_FIELDS, LEASE_ID, LEASE_TTL, RESPONSE_BYTES_MAX,
  checkCompact, checkDeleteRange, checkPut, checkRange, checkTxn, uint,
} from '@kite/protocol';
import { validateAuditAppend, validateAuditContext } from './audit.js';
import { validateAuthAction } from './auth-state.js';
import type { KeyInterval } from './bytes.js';
import { intervalContains, keyInterval, keyString } from './bytes.js';
import type { Command } from './command.js';
import { CHECKPOINTS_PER_COMMAND_MAX } from './lessor.js';
import { DuplicateKeyError, InvalidArgumentError, KvError, MalformedCommandError, TooManyOpsError, type KvErrorCode } from './errors.js';
import type { RangeArgs, TxnArgs, TxnRequestOp } from './types.js';

/** Read budgets of one read request or txn (see read-budget.ts); argument limits are the schema's constants. */
export interface Limits {
  /** Reply budget of one read request or txn, in estimated wire bytes. */
  readonly maxResponseBytes: number;
  /** Index entries one read request or txn may visit. */
  readonly maxKeysScanned: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxResponseBytes: RESPONSE_BYTES_MAX,
  maxKeysScanned: KEYS_SCANNED_MAX,
};

/** A protocol check's KiteError as the store's KvError (same code, message, details). */
function asKvError(err: unknown): unknown {
  return err instanceof KiteError ? new KvError(err.code as KvErrorCode, err.message, err.details) : err;
}

export function validateRange(args: RangeArgs): void {
  try {
    checkRange(args);
  } catch (err) {
    throw asKvError(err);
  }
}

interface WriteSet {
  readonly puts: Set<string>;
  readonly dels: KeyInterval[];
}

function deletedBy(dels: readonly KeyInterval[], key: string): boolean {
  return dels.some((iv) => intervalContains(iv, key));
}

/**
 * etcd's rule: within one branch (nested txns included), a key may be put at most once and
 * not put inside a range deleted in the same branch. A nested txn's success and failure
 * branches exclude each other, so they may put the same key.
 */
function checkWrites(ops: readonly TxnRequestOp[]): WriteSet {
  const dels: KeyInterval[] = [];
  for (const op of ops) if (op.type === 'deleteRange') dels.push(keyInterval(op.key, op.rangeEnd));
  const puts = new Set<string>();
  const childDels: KeyInterval[] = [];
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const then = checkWrites(op.success);
    const otherwise = checkWrites(op.failure);
    for (const k of then.puts) {
      if (puts.has(k) || deletedBy(dels, k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    for (const k of otherwise.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || deletedBy(dels, k)) throw new DuplicateKeyError();
      puts.add(k);
    }
    childDels.push(...then.dels, ...otherwise.dels);
  }
  dels.push(...childDels);
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = keyString(op.key);
    if (puts.has(k) || deletedBy(dels, k)) throw new DuplicateKeyError();
    puts.add(k);
  }
  return { puts, dels };
}

function validateTxn(args: TxnArgs): void {
  checkTxn(args);
  checkWrites(args.success);
  checkWrites(args.failure);
}

function argsObject(args: unknown, op: string): asserts args is Record<string, unknown> {
  if (typeof args !== 'object' || args === null) throw new InvalidArgumentError(`${op} arguments missing`);
}

/** The stored lease commands name the lease `id` (the wire's `leaseId`); same fields, same checks. */
function validateLeaseCommand(cmd: Command): void {
  switch (cmd.op) {
    case 'leaseGrant':
      argsObject(cmd.args, 'leaseGrant');
      LEASE_TTL.check(cmd.args.ttl, LEASE_TTL.label);
      if (cmd.args.id !== undefined) LEASE_GRANT_FIELDS.leaseId.check(cmd.args.id, 'lease id');
      return;
    case 'leaseRevoke':
      argsObject(cmd.args, 'leaseRevoke');
      return LEASE_ID.check(cmd.args.id, 'lease id');
    case 'leaseCheckpoint': {
      argsObject(cmd.args, 'leaseCheckpoint');
      const list: unknown = cmd.args.checkpoints;
      if (!Array.isArray(list)) throw new InvalidArgumentError('checkpoints must be a list');
      if (list.length > CHECKPOINTS_PER_COMMAND_MAX) throw new TooManyOpsError('checkpoints', list.length, CHECKPOINTS_PER_COMMAND_MAX);
      for (const cp of list as unknown[]) {
        if (typeof cp !== 'object' || cp === null) throw new InvalidArgumentError('checkpoint must be an object');
        const c = cp as Record<string, unknown>;
        LEASE_ID.check(c['id'], 'lease id');
        REMAINING_TTL_MS.check(c['remainingTtlMs'], 'remainingTtlMs');
      }
      return;
    }
    default:
      return;
  }
}

const REMAINING_TTL_MS = uint();

function validateArgsOf(cmd: Command): void {
  switch (cmd.op) {
    case 'auditAppend':
      return validateAuditAppend(cmd.args);
    case 'noop':
      return;
    case 'auth':
      return validateAuthAction(cmd.args);
    case 'put':
      return checkPut(cmd.args);
    case 'deleteRange':
      return checkDeleteRange(cmd.args);
    case 'txn':
      return validateTxn(cmd.args);
    case 'compact':
      return checkCompact(cmd.args);
    case 'leaseGrant':
    case 'leaseRevoke':
    case 'leaseCheckpoint':
      return validateLeaseCommand(cmd);
    default:
      throw new MalformedCommandError(`unknown command op ${String((cmd as { op: unknown }).op)}`);
  }
}

/** Throws the typed error (a KvError) a replica would answer for `cmd`, checking input only. */
export function validateCommand(cmd: Command): void {
  if (typeof cmd !== 'object' || cmd === null) throw new MalformedCommandError('command must be an object');
  try {
    if (cmd.audit !== undefined) validateAuditContext(cmd.audit);
    validateArgsOf(cmd);
  } catch (err) {
    throw asKvError(err);
  }
}
