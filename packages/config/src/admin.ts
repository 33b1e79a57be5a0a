// The operator side of one app: stage edits, release, roll back, run a gray release, list
// releases and instances. Used by the CLI and the console; the SDK only reads.
// Every state change is ONE txn guarded on what the caller read (see README.md "Transitions"):
//   draft edits     put draft/<key> + bump draft-seq          (unguarded: last edit of a key wins)
//   release         head.modRevision = read ∧ draft-seq.modRevision = read ∧ record N absent
//   rollback        head.modRevision = read ∧ record N absent
//   gray start      as release (the draft becomes gray release N)
//   gray update     head.modRevision = read
//   gray promote    head.modRevision = read (the read head had this gray release)
//   gray abort      head.modRevision = read
// A failed guard is answered with what won (the head and the newest release, read in the
// txn's failure branch at the same revision), so the loser's error names the winner.
import { bytesToString, toBytes, type KeyValue, type TxnRequestOp, type TxnResponseOp } from '@kite/protocol';
import type { RecipeClient } from '@kite/client';
import { ConfigError } from './errors.js';
import { AppKeys } from './keys.js';
import {
  applyDraft, decodeDraft, decodeHead, decodeInstance, decodeRelease, diffContent, EMPTY_HEAD, encodeRecord,
  type AppHead, type Content, type DiffEntry, type DraftEntry, type GrayOutcome, type InstanceRecord, type ReleaseKind, type ReleaseRecord,
} from './model.js';
import { checkGrayRule, effectiveRelease, type GrayRule } from './gray-rule.js';
import type { AppRef } from './names.js';
import { validateValue, type ConfigValue } from './value-types.js';

/** Encoded bytes of one release record: the txn carrying it must fit a 1.5 MiB request. */
export const RELEASE_BYTES_MAX = 1024 * 1024;

/**
 * Who made a change. Today the caller says (CLI: --author, default $USER). SEAM: once Kite
 * has authentication, the server-side authenticated user replaces this value and a
 * caller-supplied author is refused when it differs.
 */
export interface Actor {
  readonly author: string;
}

export interface PublishOptions extends Actor {
  readonly message: string;
  /** Refuse (ReleaseConflict) unless the app's current release is this one (what the caller reviewed). */
  readonly expectBase?: number;
}

/** The app's head, drafts and draft-seq at one revision. */
export interface AppState {
  readonly revision: number;
  readonly head: AppHead;
  readonly headModRevision: number;
  readonly drafts: ReadonlyMap<string, DraftEntry>;
  readonly draftSeqModRevision: number;
}

export interface ReleaseListing extends ReleaseRecord {
  /** current: what non-gray instances run; gray: the active gray release; promoted/aborted: how a gray release ended. */
  readonly status: 'current' | 'gray' | 'promoted' | 'aborted' | 'superseded';
}

export interface InstanceView extends InstanceRecord {
  /** The release this instance must run at the revision read. */
  readonly expected: number;
  /** current: runs `expected`; stale: runs something else or serves a cached snapshot; pending: has applied nothing yet. */
  readonly status: 'current' | 'stale' | 'pending';
}

export class ConfigAdmin {
  readonly keys: AppKeys;

  constructor(private readonly client: RecipeClient, readonly ref: AppRef) {
    this.keys = new AppKeys(ref);
  }

  // ---- reads

  async state(): Promise<AppState> {
    const r = await this.client.txn({
      compare: [],
      success: [
        { type: 'range', key: this.keys.head },
        { type: 'range', ...this.keys.drafts },
        { type: 'range', key: this.keys.draftSeq },
      ],
      failure: [],
    });
    const [headKv] = kvsOf(r.responses[0]);
    const drafts = new Map<string, DraftEntry>();
    for (const kv of kvsOf(r.responses[1])) {
      const key = AppKeys.lastSegment(bytesToString(kv.key));
      drafts.set(key, decodeDraft(key, kv.value));
    }
    const [seqKv] = kvsOf(r.responses[2]);
    return {
      revision: r.header.revision,
      head: headKv === undefined ? EMPTY_HEAD : decodeHead(headKv.value),
      headModRevision: headKv?.modRevision ?? 0,
      drafts,
      draftSeqModRevision: seqKv?.modRevision ?? 0,
    };
  }

  /** Release `n` (immutable, so any revision serves). */
  async release(n: number): Promise<ReleaseRecord> {
    const r = await this.client.get(this.keys.release(n));
    const kv = r.kvs[0];
    if (kv === undefined) throw new ConfigError('ReleaseNotFound', `${this.name} has no release ${n}`, { release: n });
    return decodeRelease(kv.value);
  }

  async contentOf(n: number): Promise<Content> {
    return n === 0 ? {} : (await this.release(n)).content;
  }

  /** The released content (what non-gray instances run) and, with `draft`, the staged content. */
  async values(opts: { readonly draft?: boolean } = {}): Promise<{ readonly release: number; readonly content: Content }> {
    const s = await this.state();
    const base = await this.contentOf(s.head.release);
    return { release: s.head.release, content: opts.draft === true ? applyDraft(base, s.drafts) : base };
  }

  /** Staged changes against the current release. */
  async diff(): Promise<{ readonly base: number; readonly diff: DiffEntry[] }> {
    const s = await this.state();
    const base = await this.contentOf(s.head.release);
    return { base: s.head.release, diff: diffContent(base, applyDraft(base, s.drafts)) };
  }

  /** Every release, oldest first, with its status. */
  async releases(): Promise<ReleaseListing[]> {
    const r = await this.client.txn({
      compare: [],
      success: [{ type: 'range', key: this.keys.head }, { type: 'range', ...this.keys.releases }, { type: 'range', ...this.keys.outcomes }],
      failure: [],
    });
    const [headKv] = kvsOf(r.responses[0]);
    const head = headKv === undefined ? EMPTY_HEAD : decodeHead(headKv.value);
    const outcomes = new Map<number, GrayOutcome>();
    for (const kv of kvsOf(r.responses[2])) {
      const v = bytesToString(kv.value);
      if (v === 'promoted' || v === 'aborted') outcomes.set(Number(AppKeys.lastSegment(bytesToString(kv.key))), v);
    }
    return kvsOf(r.responses[1]).map((kv) => {
      const rec = decodeRelease(kv.value);
      const status = rec.number === head.release ? 'current'
        : head.gray?.release === rec.number ? 'gray'
        : outcomes.get(rec.number) ?? 'superseded';
      return { ...rec, status };
    });
  }

  /** Live instances (their records vanish with their leases) and what each runs vs must run, at one revision. */
  async instances(): Promise<{ readonly revision: number; readonly head: AppHead; readonly instances: InstanceView[] }> {
    const r = await this.client.txn({
      compare: [],
      success: [{ type: 'range', key: this.keys.head }, { type: 'range', ...this.keys.instances }],
      failure: [],
    });
    const [headKv] = kvsOf(r.responses[0]);
    const head = headKv === undefined ? EMPTY_HEAD : decodeHead(headKv.value);
    const instances = kvsOf(r.responses[1]).map((kv): InstanceView => {
      const rec = decodeInstance(kv.value);
      const expected = effectiveRelease(this.ref, head, rec);
      const status = rec.applied === null ? 'pending' : rec.applied.release === expected && !rec.applied.stale ? 'current' : 'stale';
      return { ...rec, expected, status };
    });
    return { revision: r.header.revision, head, instances };
  }

  // ---- draft edits

  /** Stages `key = value` (validated first). Returns the revision of the edit. */
  async set(key: string, value: ConfigValue): Promise<number> {
    validateValue(key, value);
    return this.editDraft(key, { op: 'set', value });
  }

  /** Stages the removal of `key`. */
  async unset(key: string): Promise<number> {
    return this.editDraft(key, { op: 'remove' });
  }

  /** Drops every staged edit. */
  async discard(): Promise<number> {
    const r = await this.client.txn({
      compare: [],
      success: [{ type: 'deleteRange', ...this.keys.drafts }, { type: 'put', key: this.keys.draftSeq, value: encodeRecord(Date.now()) }],
      failure: [],
    });
    return r.header.revision;
  }

  private async editDraft(key: string, entry: DraftEntry): Promise<number> {
    const r = await this.client.txn({
      compare: [],
      success: [
        { type: 'put', key: this.keys.draft(key), value: encodeRecord(entry) },
        // Any change to draft-seq fails a concurrent release's guard: no edit is lost silently.
        { type: 'put', key: this.keys.draftSeq, value: encodeRecord(Date.now()) },
      ],
      failure: [],
    });
    return r.header.revision;
  }

  // ---- transitions

  /** Publishes every staged edit as release head.last+1 (all instances outside a gray run it). */
  async publish(opts: PublishOptions): Promise<ReleaseRecord> {
    return this.publishDraft(opts, null);
  }

  /** Publishes the draft as gray release head.last+1, reaching only the instances `rule` selects. */
  async grayStart(opts: PublishOptions & { readonly rule: GrayRule }): Promise<ReleaseRecord> {
    return this.publishDraft(opts, checkGrayRule(opts.rule));
  }

  /** Republishes release `to`'s content as a new release (history is never rewritten). */
  async rollback(opts: PublishOptions & { readonly to: number }): Promise<ReleaseRecord> {
    const s = await this.state();
    await this.checkCanPublish(s, opts);
    if (!Number.isSafeInteger(opts.to) || opts.to < 1 || opts.to > s.head.last) {
      throw new ConfigError('ReleaseNotFound', `${this.name} has no release ${opts.to} (last is ${s.head.last})`, { release: opts.to });
    }
    const target = await this.release(opts.to);
    const current = await this.contentOf(s.head.release);
    const rec = this.record(s, 'rollback', opts, current, target.content, opts.to);
    const head: AppHead = { release: rec.number, last: rec.number, gray: null };
    await this.commit(s, rec, head, [], false);
    return rec;
  }

  /** Changes the active gray release's rule (e.g. a growing percentage). */
  async grayUpdate(opts: Actor & { readonly rule: GrayRule }): Promise<AppHead> {
    const s = await this.state();
    const gray = this.activeGray(s);
    const head: AppHead = { ...s.head, gray: { ...gray, rule: checkGrayRule(opts.rule), author: opts.author } };
    await this.commitHead(s, head, []);
    return head;
  }

  /** Every instance moves to the gray release. */
  async grayPromote(_actor: Actor): Promise<AppHead> {
    const s = await this.state();
    const gray = this.activeGray(s);
    const head: AppHead = { release: gray.release, last: s.head.last, gray: null };
    await this.commitHead(s, head, [{ type: 'put', key: this.keys.outcome(gray.release), value: toBytes('promoted') }]);
    return head;
  }

  /** Every instance goes back to the release outside the gray. */
  async grayAbort(_actor: Actor): Promise<AppHead> {
    const s = await this.state();
    const gray = this.activeGray(s);
    const head: AppHead = { release: s.head.release, last: s.head.last, gray: null };
    await this.commitHead(s, head, [{ type: 'put', key: this.keys.outcome(gray.release), value: toBytes('aborted') }]);
    return head;
  }

  // ---- internals

  private get name(): string {
    return `${this.ref.namespace}/${this.ref.app}`;
  }

  private async publishDraft(opts: PublishOptions, rule: GrayRule | null): Promise<ReleaseRecord> {
    const s = await this.state();
    await this.checkCanPublish(s, opts);
    if (s.drafts.size === 0) throw new ConfigError('NothingToRelease', `${this.name}: nothing is staged`);
    const current = await this.contentOf(s.head.release);
    const next = applyDraft(current, s.drafts);
    // Re-validated here too: a draft written around `set` (raw kv put) must not reach instances.
    for (const [key, v] of Object.entries(next)) validateValue(key, v);
    const rec = this.record(s, rule === null ? 'release' : 'gray', opts, current, next, undefined);
    if (rec.diff.length === 0) throw new ConfigError('NothingToRelease', `${this.name}: the staged edits change nothing`);
    const head: AppHead = rule === null
      ? { release: rec.number, last: rec.number, gray: null }
      : { release: s.head.release, last: rec.number, gray: { release: rec.number, rule, author: opts.author, startedAt: rec.createdAt } };
    await this.commit(s, rec, head, [], true);
    return rec;
  }

  private async checkCanPublish(s: AppState, opts: PublishOptions): Promise<void> {
    if (s.head.gray !== null) {
      throw new ConfigError('GrayInProgress', `${this.name}: gray release ${s.head.gray.release} is active; promote or abort it first`, { gray: s.head.gray.release });
    }
    if (opts.expectBase !== undefined && opts.expectBase !== s.head.release) {
      const won = s.head.release === 0 ? null : await this.release(s.head.release);
      const who = won === null ? '' : ` by ${won.author} (${JSON.stringify(won.message)})`;
      throw new ConfigError(
        'ReleaseConflict',
        `${this.name}: conflict: release ${s.head.release}${who} won; you expected release ${opts.expectBase} to be current`,
        { winner: s.head.release, author: won?.author ?? null, current: s.head.release },
      );
    }
  }

  private activeGray(s: AppState): NonNullable<AppHead['gray']> {
    if (s.head.gray === null) throw new ConfigError('NoGrayRelease', `${this.name} has no active gray release`);
    return s.head.gray;
  }

  private record(s: AppState, kind: ReleaseKind, opts: PublishOptions, before: Content, after: Content, rollbackOf: number | undefined): ReleaseRecord {
    const rec: ReleaseRecord = {
      number: s.head.last + 1, kind, message: opts.message, author: opts.author, createdAt: new Date().toISOString(),
      base: s.head.release, ...(rollbackOf !== undefined ? { rollbackOf } : {}), content: after, diff: diffContent(before, after),
    };
    const bytes = encodeRecord(rec).length;
    if (bytes > RELEASE_BYTES_MAX) {
      throw new ConfigError('ReleaseTooLarge', `release ${rec.number} is ${bytes} bytes encoded; the limit is ${RELEASE_BYTES_MAX}`, { bytes, limit: RELEASE_BYTES_MAX });
    }
    return rec;
  }

  private async commit(s: AppState, rec: ReleaseRecord, head: AppHead, extra: TxnRequestOp[], consumeDraft: boolean): Promise<void> {
    const ops: TxnRequestOp[] = [{ type: 'put', key: this.keys.release(rec.number), value: encodeRecord(rec) }, ...extra];
    if (consumeDraft) ops.push({ type: 'deleteRange', ...this.keys.drafts }, { type: 'deleteRange', key: this.keys.draftSeq });
    await this.guarded(s, head, ops, [
      ...(consumeDraft ? [{ key: this.keys.draftSeq, target: 'modRevision' as const, result: 'equal' as const, value: s.draftSeqModRevision }] : []),
      { key: this.keys.release(rec.number), target: 'version', result: 'equal', value: 0 },
    ]);
  }

  private async commitHead(s: AppState, head: AppHead, extra: TxnRequestOp[]): Promise<void> {
    await this.guarded(s, head, extra, []);
  }

  private async guarded(s: AppState, head: AppHead, ops: TxnRequestOp[], compares: { key: Uint8Array; target: 'modRevision' | 'version'; result: 'equal'; value: number }[]): Promise<void> {
    const r = await this.client.txn({
      compare: [{ key: this.keys.head, target: 'modRevision', result: 'equal', value: s.headModRevision }, ...compares],
      success: [...ops, { type: 'put', key: this.keys.head, value: encodeRecord(head) }],
      failure: [
        { type: 'range', key: this.keys.head },
        { type: 'range', ...this.keys.releases, sortOrder: 'descend', sortTarget: 'key', limit: 1 },
      ],
    });
    if (r.succeeded) return;
    const [headKv] = kvsOf(r.responses[0]);
    if ((headKv?.modRevision ?? 0) === s.headModRevision) {
      throw new ConfigError('DraftChanged', `${this.name}: the draft changed while releasing; review it and release again`);
    }
    const now = headKv === undefined ? EMPTY_HEAD : decodeHead(headKv.value);
    const [latestKv] = kvsOf(r.responses[1]);
    const latest = latestKv === undefined ? null : decodeRelease(latestKv.value);
    const who = latest === null ? '' : ` by ${latest.author} (${JSON.stringify(latest.message)})`;
    throw new ConfigError(
      'ReleaseConflict',
      `${this.name}: conflict: release ${latest?.number ?? now.last}${who} won; current is ${now.release}${now.gray !== null ? `, gray ${now.gray.release}` : ''}`,
      { winner: latest?.number ?? now.last, author: latest?.author ?? null, current: now.release },
    );
  }
}

function kvsOf(r: TxnResponseOp | undefined): readonly KeyValue[] {
  if (r === undefined || r.type !== 'range') throw new ConfigError('CorruptRecord', 'unexpected txn response shape');
  return r.kvs;
}
