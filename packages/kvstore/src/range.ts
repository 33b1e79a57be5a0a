// Range reads over the MVCC index, with etcd's semantics: count is the number of keys in the
// range at the read revision (before limit and filters); `more` says the limit cut matching
// keys off. Every read charges a ReadBudget as it goes (index entries visited, reply bytes),
// so an oversized read stops at the limit instead of building a reply it cannot send.

import { EMPTY_BYTES, compareBytes, keyInterval, keyString } from './bytes.js';
import { CompactedError, FutureRevisionError } from './errors.js';
import type { ReadBudget } from './read-budget.js';
import { kvWireBytes } from './read-budget.js';
import type { KeyAt, KeyIndex } from './key-index.js';
import type { MvccState } from './mvcc.js';
import type { KeyValue, RangeArgs, RangeResult, SortOrder, SortTarget } from './types.js';

/** Throws Compacted/FutureRevision unless `rev` is readable; returns the revision to read at. */
export function checkReadRevision(state: MvccState, requested: number | undefined, visible: number): number {
  const rev = requested === undefined || requested <= 0 ? visible : requested;
  if (rev > visible) throw new FutureRevisionError(rev, visible);
  if (rev < state.compactRevision) throw new CompactedError(rev, state.compactRevision);
  return rev;
}

function effectiveOrder(order: SortOrder | undefined, target: SortTarget | undefined): SortOrder {
  const o = order ?? 'none';
  const t = target ?? 'key';
  if (t !== 'key' && o === 'none') return 'ascend';
  if (t === 'key' && o === 'ascend') return 'none';
  return o;
}

function sortKey(kv: KeyValue, target: SortTarget): number | Uint8Array {
  switch (target) {
    case 'key':
      return kv.key;
    case 'value':
      return kv.value;
    case 'version':
      return kv.version;
    case 'createRevision':
      return kv.createRevision;
    case 'modRevision':
      return kv.modRevision;
  }
}

function compareBy(target: SortTarget): (a: KeyValue, b: KeyValue) => number {
  return (a, b) => {
    const x = sortKey(a, target);
    const y = sortKey(b, target);
    return typeof x === 'number' ? x - (y as number) : compareBytes(x, y as Uint8Array);
  };
}

function hasFilters(args: RangeArgs): boolean {
  return (args.minModRevision ?? 0) > 0 || (args.maxModRevision ?? 0) > 0 ||
    (args.minCreateRevision ?? 0) > 0 || (args.maxCreateRevision ?? 0) > 0;
}

function passesFilters(kv: KeyValue, args: RangeArgs): boolean {
  const minMod = args.minModRevision ?? 0;
  const maxMod = args.maxModRevision ?? 0;
  const minCreate = args.minCreateRevision ?? 0;
  const maxCreate = args.maxCreateRevision ?? 0;
  return (minMod === 0 || kv.modRevision >= minMod) && (maxMod === 0 || kv.modRevision <= maxMod) &&
    (minCreate === 0 || kv.createRevision >= minCreate) && (maxCreate === 0 || kv.createRevision <= maxCreate);
}

/** Index-only view of a key at the read revision: enough to filter, sort (not by value) and limit. */
interface Found {
  readonly ki: KeyIndex;
  readonly at: KeyAt;
}

/** Records read from the backend per step, so one step's overshoot of the budget stays small. */
const MATERIALIZE_CHUNK_KEYS = 32;

function indexPassesFilters(f: Found, args: RangeArgs): boolean {
  return passesFilters({ key: EMPTY_BYTES, value: EMPTY_BYTES, createRevision: f.at.createRevision, modRevision: f.at.modified.main, version: f.at.version, lease: 0 }, args);
}

function compareFound(target: Exclude<SortTarget, 'value'>): (a: Found, b: Found) => number {
  return (a, b) => {
    switch (target) {
      case 'key':
        return a.ki.key < b.ki.key ? -1 : a.ki.key > b.ki.key ? 1 : 0;
      case 'version':
        return a.at.version - b.at.version;
      case 'createRevision':
        return a.at.createRevision - b.at.createRevision;
      case 'modRevision':
        return a.at.modified.main - b.at.modified.main;
    }
  };
}

function withoutValue(kv: KeyValue, keysOnly: boolean): KeyValue {
  return keysOnly ? { ...kv, value: EMPTY_BYTES } : kv;
}

/**
 * A single-key read answered from memory (no backend): the common case. Undefined when the
 * key's state at `rev` is an older value that only the backend has.
 */
function pointRead(state: MvccState, args: RangeArgs, key: string, rev: number, budget: ReadBudget): RangeResult | undefined {
  budget.chargeScan();
  const ki = state.tree.get(key);
  const at = ki?.get(rev);
  if (ki === undefined || at === undefined) return { kvs: [], more: false, count: 0 };
  if (args.countOnly === true) return { kvs: [], more: false, count: 1 };
  const latest = ki.latest();
  if (latest === undefined || latest.modified !== at.modified) return undefined;
  // Charged before the value is copied out of the index.
  budget.chargeBytes(kvWireBytes(ki.key.length, args.keysOnly === true ? 0 : ki.valueByteLength));
  const kv = state.cachedKv(ki, at);
  if (kv === undefined) return undefined;
  return { kvs: [withoutValue(kv, args.keysOnly === true)], more: false, count: 1 };
}

/**
 * Answers a validated range synchronously when memory suffices (a point read with no
 * filters), else undefined. Throws Compacted/FutureRevision/ResponseTooLarge like rangeKeys.
 */
export function rangeFromMemory(state: MvccState, args: RangeArgs, visible: number, budget: ReadBudget): RangeResult | undefined {
  if (args.rangeEnd !== undefined && args.rangeEnd.byteLength > 0) return undefined;
  if (hasFilters(args)) return undefined;
  const rev = checkReadRevision(state, args.revision, visible);
  return pointRead(state, args, keyString(args.key), rev, budget);
}

/**
 * KeyValues for `items` in order, charged to the budget as they are read: current values are
 * sized from the index before any is copied (their lengths are there, cached or not); older
 * ones come from the backend in small chunks, charged as each chunk arrives, and so do current
 * values the bounded cache does not hold. Throws Compacted when a record vanished (a
 * compaction overtook this read).
 */
async function materializeCharged(state: MvccState, items: readonly Found[], rev: number, keysOnly: boolean, budget: ReadBudget): Promise<KeyValue[]> {
  // Current values are sized without copying them: all are charged before the first copy, so
  // a reply over the budget costs an index walk, not a copy of the data.
  const current = items.map((item) => state.isCurrent(item.ki, item.at));
  let currentBytes = 0;
  items.forEach((item, i) => {
    if (current[i] === true) currentBytes += kvWireBytes(item.ki.key.length, keysOnly ? 0 : item.ki.valueByteLength);
  });
  budget.chargeBytes(currentBytes);
  // Copied at once, like the scan, so an apply batch running during the backend reads below
  // cannot change what they show. Keys only: the index has all of a current key but its value.
  const out: (KeyValue | undefined)[] = items.map((item, i) =>
    current[i] !== true ? undefined : keysOnly ? state.currentKvWithoutValue(item.ki, item.at) : state.cachedKv(item.ki, item.at));
  const need: number[] = [];
  out.forEach((kv, i) => {
    if (kv === undefined) need.push(i);
  });
  for (let n = 0; n < need.length; n += MATERIALIZE_CHUNK_KEYS) {
    const chunk = need.slice(n, n + MATERIALIZE_CHUNK_KEYS);
    // A point read puts the value it read back into the cache; larger reads leave it alone.
    const kvs = await state.materialize(chunk.map((i) => items[i] as Found), undefined, items.length === 1);
    chunk.forEach((i, j) => {
      const kv = kvs[j];
      if (kv === undefined) throw new CompactedError(rev, state.compactRevision);
      if (current[i] !== true) budget.chargeBytes(kvWireBytes(kv.key.byteLength, keysOnly ? 0 : kv.value.byteLength));
      out[i] = kv;
    });
  }
  return out.map((kv) => {
    // A record can vanish only if a compaction overtook this read.
    if (kv === undefined) throw new CompactedError(rev, state.compactRevision);
    return withoutValue(kv, keysOnly);
  });
}

/**
 * Reads `args` at the state visible now (`visible` = the current revision, or a txn's
 * in-progress one), charging `budget` while reading (see read-budget.ts). Filters, sorting
 * (except by value) and the limit work on the index alone, so only the keys returned are
 * read. Validation of args is the caller's (validate.ts).
 */
export async function rangeKeys(state: MvccState, args: RangeArgs, visible: number, budget: ReadBudget): Promise<RangeResult> {
  const rev = checkReadRevision(state, args.revision, visible);
  const order = effectiveOrder(args.sortOrder, args.sortTarget);
  const target = args.sortTarget ?? 'key';
  const limit = args.limit ?? 0;
  const filtered = hasFilters(args);
  const keysOnly = args.keysOnly === true;
  const fetchMax = order === 'none' && limit > 0 ? limit + 1 : Number.POSITIVE_INFINITY;
  const countOnly = args.countOnly === true;

  const iv = keyInterval(args.key, args.rangeEnd);
  if (iv.end === undefined && !filtered) {
    const cached = pointRead(state, args, iv.start, rev, budget);
    if (cached !== undefined) return cached;
    const ki = state.tree.get(iv.start);
    const at = ki?.get(rev);
    if (ki === undefined || at === undefined) return { kvs: [], more: false, count: 0 };
    return { kvs: await materializeCharged(state, [{ ki, at }], rev, keysOnly, budget), more: false, count: 1 };
  }
  let count = 0;
  let found: Found[] = [];
  for (const ki of state.tree.range(iv)) {
    budget.chargeScan();
    const at = ki.get(rev);
    if (at === undefined) continue;
    count++;
    if (countOnly || found.length >= fetchMax) continue;
    const f = { ki, at };
    if (!filtered || indexPassesFilters(f, args)) found.push(f);
  }
  if (countOnly) return { kvs: [], more: false, count };

  let more = false;
  if (target !== 'value') {
    if (order !== 'none') {
      const cmp = compareFound(target);
      found.sort(order === 'ascend' ? cmp : (a, b) => cmp(b, a)); // stable: ties stay in key order
    }
    if (limit > 0 && found.length > limit) {
      found = found.slice(0, limit);
      more = true;
    }
    return { kvs: await materializeCharged(state, found, rev, keysOnly, budget), more, count };
  }
  // Sorting by value needs every value: each is charged as read, so the budget bounds the work.
  let kvs = await materializeCharged(state, found, rev, false, budget);
  const cmp = compareBy('value');
  kvs.sort(order === 'ascend' ? cmp : (a, b) => cmp(b, a));
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  return { kvs: keysOnly ? kvs.map((kv) => withoutValue(kv, true)) : kvs, more, count };
}

/**
 * Charges `budget` with an upper bound of what a current-revision range can return, from the
 * index alone (no value is copied): every key the range visits, plus `addedBytes` for what a
 * txn's own puts may add. Lets apply refuse an oversized write txn (or a delete returning its
 * prevKvs) before it changes anything, and a read-only txn before it copies anything.
 */
export function chargeRangeBound(state: MvccState, args: RangeArgs, addedBytes: number, budget: ReadBudget): void {
  const limit = args.limit ?? 0;
  const pushdown = effectiveOrder(args.sortOrder, args.sortTarget) === 'none' && !hasFilters(args) && limit > 0;
  const countOnly = args.countOnly === true;
  const keysOnly = args.keysOnly === true;
  let returned = 0;
  for (const ki of state.tree.range(keyInterval(args.key, args.rangeEnd))) {
    budget.chargeScan();
    if (!ki.alive || countOnly || (pushdown && returned >= limit)) continue;
    returned++;
    budget.chargeBytes(kvWireBytes(ki.key.length, keysOnly ? 0 : ki.valueByteLength));
  }
  if (!countOnly) budget.chargeBytes(addedBytes);
}
