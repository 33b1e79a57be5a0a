// Range reads over the MVCC index, with etcd's semantics: count is the number of keys in the
// range at the read revision (before limit and filters); limit is pushed down only when the
// result is in key order without filters; `more` says the limit cut matching keys off.

import { EMPTY_BYTES, compareBytes, keyInterval, keyString } from './bytes.js';
import { CompactedError, FutureRevisionError } from './errors.js';
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

/**
 * A single-key read answered from memory (no backend): the common case. Undefined when the
 * key's state at `rev` is an older value that only the backend has.
 */
function pointRead(state: MvccState, args: RangeArgs, key: string, rev: number): RangeResult | undefined {
  const ki = state.tree.get(key);
  const at = ki?.get(rev);
  if (ki === undefined || at === undefined) return { kvs: [], more: false, count: 0 };
  if (args.countOnly === true) return { kvs: [], more: false, count: 1 };
  const kv = state.cachedKv(ki, at);
  if (kv === undefined) return undefined;
  return { kvs: [args.keysOnly === true ? { ...kv, value: EMPTY_BYTES } : kv], more: false, count: 1 };
}

/**
 * Answers a validated range synchronously when memory suffices (a point read with no
 * filters), else undefined. Throws Compacted/FutureRevision like rangeKeys.
 */
export function rangeFromMemory(state: MvccState, args: RangeArgs, visible: number): RangeResult | undefined {
  if (args.rangeEnd !== undefined && args.rangeEnd.byteLength > 0) return undefined;
  if (hasFilters(args)) return undefined;
  const rev = checkReadRevision(state, args.revision, visible);
  return pointRead(state, args, keyString(args.key), rev);
}

/**
 * Reads `args` at the state visible now (`visible` = the current revision, or a txn's
 * in-progress one). Validation of args is the caller's (validate.ts).
 */
export async function rangeKeys(state: MvccState, args: RangeArgs, visible: number): Promise<RangeResult> {
  const rev = checkReadRevision(state, args.revision, visible);
  const order = effectiveOrder(args.sortOrder, args.sortTarget);
  const limit = args.limit ?? 0;
  const filtered = hasFilters(args);
  const fetchMax = order === 'none' && !filtered && limit > 0 ? limit + 1 : Number.POSITIVE_INFINITY;
  const countOnly = args.countOnly === true;

  const iv = keyInterval(args.key, args.rangeEnd);
  if (iv.end === undefined && !filtered) {
    const cached = pointRead(state, args, iv.start, rev);
    if (cached !== undefined) return cached;
    const ki = state.tree.get(iv.start);
    const at = ki?.get(rev);
    if (ki === undefined || at === undefined) return { kvs: [], more: false, count: 0 };
    const kv = (await state.materialize([{ ki, at }]))[0];
    if (kv === undefined) throw new CompactedError(rev, state.compactRevision);
    return { kvs: [args.keysOnly === true ? { ...kv, value: EMPTY_BYTES } : kv], more: false, count: 1 };
  }
  let count = 0;
  const found: { ki: KeyIndex; at: KeyAt }[] = [];
  for (const ki of state.tree.range(iv)) {
    const at = ki.get(rev);
    if (at === undefined) continue;
    count++;
    if (!countOnly && found.length < fetchMax) found.push({ ki, at });
  }
  if (countOnly) return { kvs: [], more: false, count };

  const materialized = await state.materialize(found);
  // A record can vanish only if a compaction overtook this read.
  if (materialized.some((kv) => kv === undefined)) throw new CompactedError(rev, state.compactRevision);
  let kvs = materialized as KeyValue[];
  if (filtered) kvs = kvs.filter((kv) => passesFilters(kv, args));
  if (order !== 'none') {
    const cmp = compareBy(args.sortTarget ?? 'key');
    kvs.sort(order === 'ascend' ? cmp : (a, b) => cmp(b, a)); // stable: ties stay in key order
  }
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  if (args.keysOnly === true) kvs = kvs.map((kv) => ({ ...kv, value: EMPTY_BYTES }));
  return { kvs, more, count };
}
