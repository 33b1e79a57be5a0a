// Issue 3's Done-when: a model-based property test of the real store (LevelDB in a temp dir)
// and its watch hub against the naive reference model (model-reference.ts). Random sequences
// of put / deleteRange / txn / compact / lease grant / lease revoke are applied to both (in
// Raft-entry batches of 1-3); every apply result (status, error code, header revision,
// response incl. prevKv, deleted counts, txn success), every published revision's events,
// ranges at random revisions, and every watcher's stream (random ranges, filters, start
// revisions, progress requests, slow consumers) are checked against the model. Mid-sequence
// the store is restarted from its LevelDB directory or replaced by a fresh store restored from
// its snapshot; watchers resume from their last bookmark and nothing observable may change.
// Every store directory lives under one temp root per test, removed after the test (tempDirs),
// so nothing is left in /tmp even when a run fails, times out or is abandoned by fast-check.
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ApplyEntry } from '../src/kv-store.js';
import { VALUE_CACHE_ENTRY_BYTES } from '../src/value-cache.js';
import { KvStore } from '../src/kv-store.js';
import type { Command } from '../src/command.js';
import type { Compare, RangeArgs, TxnRequestOp } from '../src/types.js';
import type { RevisionEvents } from '../src/watch-source.js';
import { WatchHub } from '../src/watch/watch-hub.js';
import type { Watcher } from '../src/watch/watcher.js';
import type { WatchRequest, WatchResponse } from '../src/watch/types.js';
import { ReferenceModel } from './model-reference.js';
import type { Outcome } from './model-reference.js';
import { checkStream } from './watch-stream-check.js';
import { tempDirs } from './helpers.js';

const b = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const KEYS = ['a', 'a/1', 'a/2', 'b', 'b/1', 'c'];
const LEASES = [1001, 1002, 1003];
/** [key, rangeEnd] pairs used by ranges, deletes and watches. */
const RANGES: readonly (readonly [string, string | undefined])[] = [
  ['a', undefined],
  ['a/1', undefined],
  ['a/', 'a0'],
  ['a', 'b/'],
  ['b', '\0'],
  ['\0', '\0'],
];
const rangeArgs = (i: number): { key: Uint8Array; rangeEnd?: Uint8Array } => {
  const [k, e] = RANGES[i] as readonly [string, string | undefined];
  return e === undefined ? { key: b(k) } : { key: b(k), rangeEnd: b(e) };
};

// ---- generated steps ----

type Write =
  | { w: 'put'; key: string; value: string; lease: number; prevKv: boolean }
  | { w: 'del'; range: number; prevKv: boolean }
  | { w: 'txn'; cmp: { key: string; target: Compare['target']; result: Compare['result']; n: number }[]; success: TxnOpGen[]; failure: TxnOpGen[] }
  | { w: 'compact'; back: number }
  | { w: 'grant'; lease: number; ttl: number }
  | { w: 'revoke'; lease: number };
type TxnOpGen = { t: 'put'; key: string; value: string; prevKv: boolean } | { t: 'del'; key: string; prevKv: boolean } | { t: 'range'; range: number };

type Step =
  | { s: 'apply'; writes: Write[] }
  | { s: 'range'; range: number; back: number; limit: number; keysOnly: boolean; countOnly: boolean }
  | { s: 'watch'; range: number; start: 'now' | 'past' | 'future'; back: number; prevKv: boolean; filter: 0 | 1 | 2 }
  | { s: 'poll'; w: number; max: number }
  | { s: 'progress'; w: number }
  | { s: 'tick' }
  | { s: 'settle' }
  | { s: 'restart'; mode: 'dir' | 'snapshot' };

const keyArb = fc.constantFrom(...KEYS);
const valueArb = fc.constantFrom('', 'x', 'y', 'zz');
const txnOpArb: fc.Arbitrary<TxnOpGen> = fc.oneof(
  fc.record({ t: fc.constant('put' as const), key: keyArb, value: valueArb, prevKv: fc.boolean() }),
  fc.record({ t: fc.constant('del' as const), key: keyArb, prevKv: fc.boolean() }),
  fc.record({ t: fc.constant('range' as const), range: fc.nat(RANGES.length - 1) }),
);
// Writes in one branch touch distinct keys (etcd refuses duplicates with DuplicateKey).
const branchArb = fc.uniqueArray(txnOpArb, { maxLength: 3, selector: (o) => (o.t === 'range' ? `r${o.range}` : o.key) });
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ w: fc.constant('put' as const), key: keyArb, value: valueArb, lease: fc.constantFrom(0, 0, 0, ...LEASES, 999), prevKv: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ w: fc.constant('del' as const), range: fc.nat(RANGES.length - 1), prevKv: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      w: fc.constant('txn' as const),
      cmp: fc.array(
        fc.record({
          key: keyArb,
          target: fc.constantFrom('value' as const, 'version' as const, 'createRevision' as const, 'modRevision' as const, 'lease' as const),
          result: fc.constantFrom('equal' as const, 'notEqual' as const, 'greater' as const, 'less' as const),
          n: fc.nat(4),
        }),
        { maxLength: 2 },
      ),
      success: branchArb,
      failure: branchArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ w: fc.constant('compact' as const), back: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ w: fc.constant('grant' as const), lease: fc.constantFrom(...LEASES), ttl: fc.integer({ min: 5, max: 60 }) }) },
  { weight: 1, arbitrary: fc.record({ w: fc.constant('revoke' as const), lease: fc.constantFrom(...LEASES, 999) }) },
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ s: fc.constant('apply' as const), writes: fc.array(writeArb, { minLength: 1, maxLength: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      s: fc.constant('range' as const),
      range: fc.nat(RANGES.length - 1),
      back: fc.integer({ min: -1, max: 10 }),
      limit: fc.nat(3),
      keysOnly: fc.boolean(),
      countOnly: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      s: fc.constant('watch' as const),
      range: fc.nat(RANGES.length - 1),
      start: fc.constantFrom('now' as const, 'past' as const, 'future' as const),
      back: fc.nat(10),
      prevKv: fc.boolean(),
      filter: fc.constantFrom(0 as const, 1 as const, 2 as const),
    }),
  },
  { weight: 4, arbitrary: fc.record({ s: fc.constant('poll' as const), w: fc.nat(8), max: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ s: fc.constant('progress' as const), w: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.constant({ s: 'tick' as const }) },
  { weight: 1, arbitrary: fc.constant({ s: 'settle' as const }) },
  { weight: 1, arbitrary: fc.record({ s: fc.constant('restart' as const), mode: fc.constantFrom('dir' as const, 'snapshot' as const) }) },
);

// ---- translating a write into the store's command and the model's call ----

function txnOp(o: TxnOpGen): TxnRequestOp {
  switch (o.t) {
    case 'put':
      return { type: 'put', key: b(o.key), value: b(o.value), prevKv: o.prevKv };
    case 'del':
      return { type: 'deleteRange', key: b(o.key), prevKv: o.prevKv };
    case 'range':
      return { type: 'range', ...rangeArgs(o.range) };
  }
}

function compareOf(c: { key: string; target: Compare['target']; result: Compare['result']; n: number }): Compare {
  return c.target === 'value'
    ? { key: b(c.key), target: 'value', result: c.result, value: b(['', 'x', 'y', 'zz', 'q'][c.n] as string) }
    : { key: b(c.key), target: c.target, result: c.result, value: c.target === 'lease' ? [0, ...LEASES, 7][c.n] as number : c.n * 2 };
}

function toCommand(w: Write, model: ReferenceModel): Command {
  switch (w.w) {
    case 'put':
      return { op: 'put', args: { key: b(w.key), value: b(w.value), lease: w.lease, prevKv: w.prevKv } };
    case 'del':
      return { op: 'deleteRange', args: { ...rangeArgs(w.range), prevKv: w.prevKv } };
    case 'txn':
      return { op: 'txn', args: { compare: w.cmp.map(compareOf), success: w.success.map(txnOp), failure: w.failure.map(txnOp) } };
    case 'compact':
      return { op: 'compact', args: { revision: Math.max(1, model.revision - w.back) } };
    case 'grant':
      return { op: 'leaseGrant', args: { id: w.lease, ttl: w.ttl } };
    case 'revoke':
      return { op: 'leaseRevoke', args: { id: w.lease } };
  }
}

function applyToModel(cmd: Command, model: ReferenceModel): Outcome<unknown> {
  switch (cmd.op) {
    case 'put':
      return model.put(cmd.args);
    case 'deleteRange':
      return model.deleteRange(cmd.args);
    case 'txn':
      return model.txn(cmd.args);
    case 'compact':
      return model.compact(cmd.args.revision);
    case 'leaseGrant':
      return model.leaseGrant(cmd.args.id ?? 0, cmd.args.ttl);
    case 'leaseRevoke':
      return model.leaseRevoke(cmd.args.id);
    default:
      throw new Error(`not generated: ${cmd.op}`);
  }
}

/** Comparable form: bytes as latin1 strings, undefined fields dropped. */
function norm(x: unknown): unknown {
  if (x instanceof Uint8Array) return `b:${Buffer.from(x).toString('latin1')}`;
  if (Array.isArray(x)) return x.map(norm);
  if (typeof x === 'object' && x !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = norm(v);
    return out;
  }
  return x;
}

/** Coverage across all runs, asserted at the end so the property cannot pass vacuously. */
const coverage = {
  applied: 0,
  failed: 0,
  txnSucceeded: 0,
  txnFailed: 0,
  restartsDir: 0,
  restartsSnapshot: 0,
  watchEvents: 0,
  compactionCancels: 0,
  slowConsumerFallbacks: 0,
  catchUpReads: 0,
  progress: 0,
};

// ---- the system under test, restartable ----

interface Tracked {
  readonly request: WatchRequest;
  readonly firstRevision: number;
  w: Watcher;
  readonly got: WatchResponse[];
}

/**
 * The store's value cache holds about two of the model's short values: most current values
 * (prevKv, ignoreValue, value compares, reads) come from the backend, some from the cache.
 */
const MODEL_VALUE_CACHE_BYTES = 2 * (VALUE_CACHE_ENTRY_BYTES + 8);

class Harness {
  constructor(private readonly rootDir: string) {}
  store!: KvStore;
  hub!: WatchHub;
  readonly model = new ReferenceModel();
  readonly published: RevisionEvents[] = [];
  readonly tracked: Tracked[] = [];
  raftIndex = 0;
  compactBound = 0;
  private dirs: string[] = [];
  private unsubscribe: (() => void) | undefined;

  async start(): Promise<void> {
    this.store = await KvStore.open({ dir: await this.newDir(), valueCacheBytesMax: MODEL_VALUE_CACHE_BYTES });
    this.attach();
  }

  private async newDir(): Promise<string> {
    const dir = await mkdtemp(join(this.rootDir, 'store-'));
    this.dirs.push(dir);
    return dir;
  }

  private attach(): void {
    this.unsubscribe = this.store.onCommitted((batch) => this.published.push(...batch.changes));
    this.hub = new WatchHub(this.store, {
      bufferedEventsMax: 4,
      resumeBelowEvents: 2,
      catchUpRevisionsPerPass: 3,
      catchUpWatchersPerPass: 2,
      responseEventsMax: 3,
    });
  }

  async apply(writes: readonly Write[]): Promise<void> {
    const entries: ApplyEntry[] = [];
    const expected: Outcome<unknown>[] = [];
    for (const w of writes) {
      const command = toCommand(w, this.model);
      entries.push({ index: ++this.raftIndex, command });
      expected.push(applyToModel(command, this.model));
      if (command.op === 'compact') this.compactBound = this.model.compactRevision;
    }
    const results = await this.store.apply(entries);
    results.forEach((r, i) => {
      const want = expected[i] as Outcome<unknown>;
      const ctx = `entry ${entries[i]?.index} ${JSON.stringify(norm(entries[i]?.command))}`;
      if (r.status === 'applied') coverage.applied++;
      else coverage.failed++;
      if (r.status === 'applied' && 'succeeded' in r.response) {
        if (r.response.succeeded) coverage.txnSucceeded++;
        else coverage.txnFailed++;
      }
      if (want.ok) {
        expect(r.status === 'failed' ? `failed ${r.error.code}: ${r.error.message}` : r.status, ctx).toBe('applied');
        if (r.status !== 'applied') return;
        expect(r.revision, ctx).toBe(want.revision);
        expect(norm(r.response), ctx).toEqual(norm(want.result));
      } else {
        expect(r.status, ctx).toBe('failed');
        if (r.status === 'failed') expect(r.error.code, ctx).toBe(want.code);
      }
    });
    expect(this.store.currentRevision).toBe(this.model.revision);
    expect(this.store.compactRevision).toBe(this.model.compactRevision);
    expect(norm(this.published)).toEqual(norm(this.model.history));
  }

  async checkRange(args: RangeArgs): Promise<void> {
    const want = this.model.range(args);
    let got: unknown;
    try {
      const reply = await this.store.range(args);
      got = { ok: true, revision: reply.revision, result: { kvs: reply.kvs, more: reply.more, count: reply.count } };
    } catch (err) {
      got = { ok: false, code: (err as { code?: unknown }).code };
    }
    expect(norm(got), JSON.stringify(norm(args))).toEqual(norm(want));
  }

  /** Every range at several revisions (used around restarts). */
  async checkAllRanges(): Promise<void> {
    const revs = new Set([0, this.model.revision, this.model.compactRevision, Math.max(1, this.model.compactRevision - 1), this.model.revision + 1]);
    for (let r = Math.max(1, this.model.compactRevision); r <= this.model.revision; r += 3) revs.add(r);
    for (let i = 0; i < RANGES.length; i++) for (const revision of revs) await this.checkRange({ ...rangeArgs(i), revision });
    this.checkLeases();
  }

  /** Lease list, granted TTLs and attached keys (TTL countdown is leader-local, not modelled). */
  checkLeases(): void {
    expect(this.store.leaseLeases().leases.map((l) => l.id)).toEqual([...this.model.leases.keys()].sort((x, y) => x - y));
    for (const id of [...LEASES, 999]) {
      const got = this.store.leaseTimeToLive(id, { keys: true });
      const lease = this.model.leases.get(id);
      const want = lease === undefined ? { ttl: -1, grantedTtl: 0, keys: [] } : { grantedTtl: lease.ttl, keys: this.model.leaseKeys(id).map(b) };
      expect(norm(lease === undefined ? { ttl: got.ttl, grantedTtl: got.grantedTtl, keys: got.keys } : { grantedTtl: got.grantedTtl, keys: got.keys })).toEqual(norm(want));
    }
  }

  watch(range: number, startRevision: number, prevKv: boolean, filter: 0 | 1 | 2): void {
    const request: WatchRequest = { ...rangeArgs(range), startRevision, prevKv, noPut: filter === 1, noDelete: filter === 2, progressNotify: true };
    const firstRevision = startRevision === 0 ? this.hub.revision + 1 : startRevision;
    this.tracked.push({ request, firstRevision, w: this.hub.watch(request), got: [] });
  }

  /** Closes the store (and hub) and reopens it: from its directory, or a fresh one from a snapshot. */
  async restart(mode: 'dir' | 'snapshot'): Promise<void> {
    for (const t of this.tracked) t.w.requestProgress();
    await this.hub.settle();
    const resume: { t: Tracked; next: number }[] = [];
    for (const t of this.tracked) {
      t.got.push(...t.w.poll());
      if (t.w.done) continue;
      const r = checkStream({ request: t.request, firstRevision: t.firstRevision }, t.got, this.model.history, {
        compactBound: this.compactBound,
        complete: false,
        upToRevision: this.model.revision,
      });
      t.w.cancel();
      resume.push({ t, next: r.nextRevision });
    }
    await this.hub.settle();
    this.collectHubStats();
    this.hub.close();
    this.unsubscribe?.();
    if (mode === 'dir') coverage.restartsDir++;
    else coverage.restartsSnapshot++;
    const old = this.store;
    if (mode === 'dir') {
      await old.close();
      this.store = await KvStore.open({ dir: this.dirs[this.dirs.length - 1] as string, valueCacheBytesMax: MODEL_VALUE_CACHE_BYTES });
    } else {
      const snap = await old.snapshot();
      const fresh = await KvStore.open({ dir: await this.newDir(), valueCacheBytesMax: MODEL_VALUE_CACHE_BYTES });
      await fresh.restore(snap.chunks);
      await old.close();
      this.store = fresh;
    }
    expect(this.store.appliedIndex).toBe(this.raftIndex);
    expect(this.store.currentRevision).toBe(this.model.revision);
    expect(this.store.compactRevision).toBe(this.model.compactRevision);
    this.attach();
    await this.checkAllRanges();
    // Resume each watcher at its bookmark, like a client reconnecting.
    for (const { t, next } of resume) t.w = this.hub.watch({ ...t.request, startRevision: next });
  }

  async finish(): Promise<void> {
    for (let round = 0; round < 500; round++) {
      for (const t of this.tracked) t.got.push(...t.w.poll());
      await this.hub.settle();
      if (this.tracked.every((t) => t.w.done || (t.w.group === 'synced' && t.w.queuedResponses === 0))) break;
    }
    for (const t of this.tracked) {
      t.got.push(...t.w.poll());
      for (const r of t.got) {
        if (r.kind === 'events') coverage.watchEvents += r.events.length;
        if (r.kind === 'progress') coverage.progress++;
      }
      checkStream({ request: t.request, firstRevision: t.firstRevision }, t.got, this.model.history, {
        compactBound: this.compactBound,
        complete: true,
        upToRevision: this.model.revision,
      });
      expect(t.w.done || (t.w.group === 'synced' && t.w.queuedResponses === 0)).toBe(true);
    }
    await this.checkAllRanges();
  }

  private collectHubStats(): void {
    coverage.compactionCancels += this.hub.stats.compactionCancels;
    coverage.slowConsumerFallbacks += this.hub.stats.slowConsumerFallbacks;
    coverage.catchUpReads += this.hub.stats.catchUpReads;
  }

  async close(): Promise<void> {
    try {
      await this.hub.settle();
      this.collectHubStats();
      this.hub.close();
      await this.store.close();
    } finally {
      for (const d of this.dirs) await rm(d, { recursive: true, force: true });
    }
  }
}

async function runSteps(rootDir: string, steps: readonly Step[]): Promise<void> {
  const h = new Harness(rootDir);
  try {
    await h.start();
    for (const st of steps) {
      switch (st.s) {
        case 'apply':
          await h.apply(st.writes);
          h.checkLeases();
          break;
        case 'range': {
          const revision = st.back < 0 ? h.model.revision + 1 : Math.max(0, h.model.revision - st.back);
          await h.checkRange({ ...rangeArgs(st.range), revision, limit: st.limit, keysOnly: st.keysOnly, countOnly: st.countOnly });
          break;
        }
        case 'watch': {
          const start = st.start === 'now' ? 0 : st.start === 'past' ? Math.max(1, h.model.revision - st.back) : h.model.revision + 1 + (st.back % 3);
          h.watch(st.range, start, st.prevKv, st.filter);
          break;
        }
        case 'poll': {
          const t = h.tracked[st.w];
          if (t !== undefined) t.got.push(...t.w.poll(st.max));
          break;
        }
        case 'progress':
          h.tracked[st.w]?.w.requestProgress();
          break;
        case 'tick':
          h.hub.tickProgress();
          break;
        case 'settle':
          await h.hub.settle();
          break;
        case 'restart':
          await h.restart(st.mode);
          break;
      }
      for (const t of h.tracked) expect(t.w.bufferedEvents <= 4 || t.w.queuedEventResponses === 1).toBe(true);
    }
    await h.finish();
  } finally {
    await h.close();
  }
}

describe('kvstore model-based test (LevelDB store + watch hub vs reference model)', () => {
  const newDir = tempDirs();

  it('agrees with the model on every response, range, published revision and watch stream, across restarts', async () => {
    const root = await newDir();
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 15, maxLength: 60, size: 'max' }), (steps) => runSteps(root, steps)),
      // timeout: a hung run fails with its counterexample instead of stalling the suite.
      { numRuns: 40, timeout: 10_000 },
    );
    // Every behaviour the property is about must actually have been exercised.
    for (const [name, n] of Object.entries(coverage)) expect(n, `coverage of ${name}`).toBeGreaterThan(0);
  });

  // Found by the property (seed -1396247518): a progress response queued before a delete of
  // five keys in one revision. The hub rightly delivers that oversized revision (no other
  // events were buffered); the test's invariant used to demand an empty queue.
  it('replays: an oversized revision delivered beside a queued progress response keeps the buffer invariant', async () => {
    const steps = JSON.parse(`[{"s":"apply","writes":[{"w":"txn","cmp":[],"success":[{"t":"put","key":"a/2","value":"","prevKv":false}],"failure":[]}]},{"s":"watch","range":5,"start":"now","back":0,"prevKv":false,"filter":1},{"s":"apply","writes":[{"w":"put","key":"a","value":"","lease":0,"prevKv":false}]},{"s":"settle"},{"s":"apply","writes":[{"w":"put","key":"a","value":"","lease":0,"prevKv":false}]},{"s":"poll","w":0,"max":1},{"s":"apply","writes":[{"w":"put","key":"a/1","value":"","lease":0,"prevKv":false}]},{"s":"tick"},{"s":"settle"},{"s":"apply","writes":[{"w":"txn","cmp":[{"key":"a","target":"value","result":"equal","n":1}],"success":[],"failure":[{"t":"put","key":"c","value":"","prevKv":false}]}]},{"s":"watch","range":0,"start":"now","back":0,"prevKv":false,"filter":0},{"s":"watch","range":0,"start":"now","back":0,"prevKv":false,"filter":0},{"s":"range","range":0,"back":0,"limit":0,"keysOnly":false,"countOnly":false},{"s":"apply","writes":[{"w":"put","key":"b/1","value":"","lease":0,"prevKv":false},{"w":"del","range":5,"prevKv":false},{"w":"put","key":"a","value":"","lease":0,"prevKv":false}]},{"s":"restart","mode":"dir"},{"s":"apply","writes":[{"w":"txn","cmp":[],"success":[],"failure":[]}]},{"s":"poll","w":0,"max":1}]`) as Step[];
    await runSteps(await newDir(), steps);
  });
});
