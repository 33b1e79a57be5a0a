// The audit trail as replicated state: one record per audited command, written in the SAME
// apply (and backend batch) as the change it describes, so every member holds identical records
// with the revision the change produced and its result (ok or the error code). Records of
// requests refused before Raft (permission, quota...) arrive in batches through `auditAppend`
// commands. Stored under 'x' + sequence number (8 bytes, big-endian), oldest first.
//
// Invariants: sequence numbers increase by one per record and are never reused; retention
// (count and age, from the command's own audit context, so every replica prunes the same) drops
// the oldest records, at most AUDIT_PRUNE_PER_APPLY per applied command so one apply stays
// bounded; every field a record holds comes from the command, never from a member's clock.

import { Packr } from 'msgpackr';
import type { Backend, BackendOp } from './backend/backend.js';
import { InvalidArgumentError } from './errors.js';
import { encodeMeta, metaKey } from './layout.js';
import { writeU64 } from './revision.js';

export const AUDIT_PREFIX = 0x78; // 'x'
export const AUDIT_PRUNE_PER_APPLY = 1000;
/** Records one auditAppend command may carry. */
export const AUDIT_APPEND_RECORDS_MAX = 256;
/** Keys a record names (a txn's written keys beyond this are counted, not listed). */
export const AUDIT_KEYS_MAX = 16;
const AUDIT_TEXT_MAX = 256;

/** Who asked, from where, when, and the retention the proposer applies (see header). */
export interface AuditContext {
  readonly user: string | null;
  readonly address: string;
  readonly via: string;
  /** Wall-clock milliseconds at the proposer (display and age retention only). */
  readonly timeMs: number;
  /** The client op name when it differs from the command's (auth ops are one `auth` command). */
  readonly op?: string;
  /** What the op names besides keys (the user or role of an auth change). */
  readonly message?: string;
  readonly retainCount: number;
  /** 0 = no age limit. */
  readonly retainMs: number;
}

/** A refused request, recorded without going through the state machine's apply of its op. */
export interface AuditEntryInput {
  readonly user: string | null;
  readonly address: string;
  readonly via: string;
  readonly timeMs: number;
  readonly op: string;
  readonly keys: readonly Uint8Array[];
  readonly rangeEnd?: Uint8Array;
  readonly result: string;
  readonly message?: string;
  /** The revision the change produced (member and alarm changes recorded after the fact); 0: none. */
  readonly revision?: number;
}

export interface AuditRecord extends Omit<AuditEntryInput, 'revision'> {
  readonly seq: number;
  readonly revision: number;
}

export interface AuditAppendArgs {
  readonly records: readonly AuditEntryInput[];
  readonly retainCount: number;
  readonly retainMs: number;
  readonly timeMs: number;
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function auditKey(seq: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = AUDIT_PREFIX;
  writeU64(out, 1, seq);
  return out;
}

export function decodeAuditRecord(value: Uint8Array): AuditRecord {
  const r = packr.unpack(value) as AuditRecord;
  const keys = (r.keys ?? []).map((k) => new Uint8Array(k));
  return { ...r, keys, ...(r.rangeEnd !== undefined ? { rangeEnd: new Uint8Array(r.rangeEnd) } : {}) };
}

const text = (s: unknown, max = AUDIT_TEXT_MAX): string => String(s ?? '').slice(0, max);

/** Shape checks at apply (a bad context is refused identically everywhere). */
export function validateAuditContext(a: unknown): asserts a is AuditContext {
  const r = a as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null) throw new InvalidArgumentError('audit context must be an object');
  for (const f of ['timeMs', 'retainCount', 'retainMs']) {
    if (typeof r[f] !== 'number' || !Number.isSafeInteger(r[f]) || (r[f] as number) < 0) throw new InvalidArgumentError(`audit ${f} must be an integer >= 0`);
  }
}

export function validateAuditAppend(a: unknown): asserts a is AuditAppendArgs {
  validateAuditContext(a);
  const list = (a as { records?: unknown }).records;
  if (!Array.isArray(list) || list.length > AUDIT_APPEND_RECORDS_MAX) throw new InvalidArgumentError(`auditAppend needs at most ${AUDIT_APPEND_RECORDS_MAX} records`);
}

export class AuditLog {
  /** Sequence of the oldest record kept, and of the next one to write. */
  firstSeq = 1;
  nextSeq = 1;

  reset(): void {
    this.firstSeq = 1;
    this.nextSeq = 1;
  }

  get count(): number {
    return this.nextSeq - this.firstSeq;
  }

  append(entry: AuditEntryInput, revision: number, ops: BackendOp[]): void {
    const seq = this.nextSeq++;
    const rec: AuditRecord = {
      seq,
      timeMs: entry.timeMs,
      user: entry.user === null ? null : text(entry.user),
      address: text(entry.address),
      via: text(entry.via, 32),
      op: text(entry.op, 64),
      keys: entry.keys.slice(0, AUDIT_KEYS_MAX),
      ...(entry.rangeEnd !== undefined ? { rangeEnd: entry.rangeEnd } : {}),
      revision: entry.revision ?? revision,
      result: text(entry.result, 64),
      ...(entry.message !== undefined ? { message: text(entry.message) } : {}),
    };
    ops.push({ type: 'put', key: auditKey(seq), value: packr.pack(rec) });
  }

  /** The counter's meta record, once per apply batch that appended (KvStore.applyBatch). */
  nextSeqOp(): BackendOp {
    return { type: 'put', key: metaKey('auditNextSeq'), value: encodeMeta(this.nextSeq) };
  }

  /**
   * Drops the oldest records past the retention (bounded per call). Age reads the oldest
   * record's time from `backend`; one written by this very batch is not there yet, and is new.
   */
  async prune(backend: Backend, retainCount: number, retainMs: number, nowMs: number, ops: BackendOp[]): Promise<void> {
    let dropped = 0;
    while (dropped < AUDIT_PRUNE_PER_APPLY && this.count > 0) {
      let drop = retainCount > 0 && this.count > retainCount;
      if (!drop && retainMs > 0) {
        const t = await this.timeOf(backend, this.firstSeq);
        drop = t !== undefined && t < nowMs - retainMs;
      }
      if (!drop) break;
      ops.push({ type: 'del', key: auditKey(this.firstSeq) });
      this.firstSeq++;
      dropped++;
    }
    if (dropped > 0) ops.push({ type: 'put', key: metaKey('auditFirstSeq'), value: encodeMeta(this.firstSeq) });
  }

  private async timeOf(backend: Backend, seq: number): Promise<number | undefined> {
    const v = await backend.get(auditKey(seq));
    return v === undefined ? undefined : decodeAuditRecord(v).timeMs;
  }
}

/** Records one audit query returns at most, and scans at most (a page ends at either). */
export const AUDIT_PAGE_RECORDS_MAX = 1000;
export const AUDIT_SCAN_RECORDS_MAX = 20_000;

export interface AuditQuery {
  /** First sequence number to look at (paging: the previous page's nextSeq). */
  readonly fromSeq?: number;
  readonly limit?: number;
  /** Records naming a key with this prefix (a range record counts when its start has it). */
  readonly prefix?: Uint8Array;
  /** Records naming exactly this key. */
  readonly key?: Uint8Array;
  readonly user?: string;
  /** Wall-clock milliseconds: records at or after. */
  readonly sinceMs?: number;
}

export interface AuditPage {
  readonly records: readonly AuditRecord[];
  /** Where the next page starts; null when nothing is left. */
  readonly nextSeq: number | null;
}

function startsWith(k: Uint8Array, p: Uint8Array): boolean {
  if (k.length < p.length) return false;
  for (let i = 0; i < p.length; i++) if (k[i] !== p[i]) return false;
  return true;
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && startsWith(a, b);
}

export function auditMatches(r: AuditRecord, q: AuditQuery): boolean {
  if (q.user !== undefined && r.user !== q.user) return false;
  if (q.sinceMs !== undefined && r.timeMs < q.sinceMs) return false;
  if (q.prefix !== undefined && !r.keys.some((k) => startsWith(k, q.prefix as Uint8Array))) return false;
  if (q.key !== undefined && !r.keys.some((k) => sameKey(k, q.key as Uint8Array))) return false;
  return true;
}

export async function queryAudit(backend: Backend, log: AuditLog, q: AuditQuery): Promise<AuditPage> {
  const limit = Math.min(q.limit !== undefined && q.limit > 0 ? q.limit : AUDIT_PAGE_RECORDS_MAX, AUDIT_PAGE_RECORDS_MAX);
  const from = Math.max(q.fromSeq ?? 1, log.firstSeq);
  const end = log.nextSeq;
  const records: AuditRecord[] = [];
  let scanned = 0;
  let next = from;
  for await (const batch of backend.entries({ gte: auditKey(from), lt: auditKey(end), batchEntries: 256 })) {
    for (const [, v] of batch) {
      const r = decodeAuditRecord(v);
      scanned++;
      next = r.seq + 1;
      if (auditMatches(r, q)) records.push(r);
      if (records.length >= limit || scanned >= AUDIT_SCAN_RECORDS_MAX) return { records, nextSeq: next < end ? next : null };
    }
  }
  return { records, nextSeq: null };
}
