// Turns a command line's key selection (KEY [RANGE_END], --prefix, --from-key) into the
// wire's [key, rangeEnd) bytes, like etcdctl. An empty key with --prefix/--from-key means
// every key (key "\0", rangeEnd "\0").
import { prefixRangeEnd, RANGE_END_ALL as ALL } from '@kite/protocol';
import { argBytes, type BytesStyle } from './bytes.js';
import { UsageError } from './errors.js';

export interface KeyRange {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
}

export interface RangeFlags {
  readonly prefix?: boolean;
  readonly fromKey?: boolean;
}

export function keyRange(key: string, rangeEnd: string | undefined, f: RangeFlags, style: BytesStyle = 'text'): KeyRange {
  const picks = [f.prefix === true, f.fromKey === true, rangeEnd !== undefined].filter(Boolean).length;
  if (picks > 1) throw new UsageError('use only one of a RANGE_END argument, --prefix and --from-key');
  const k = argBytes('KEY', key, style);
  if (f.prefix === true) return k.length === 0 ? { key: ALL, rangeEnd: ALL } : { key: k, rangeEnd: prefixRangeEnd(k) };
  if (f.fromKey === true) return { key: k.length === 0 ? ALL : k, rangeEnd: ALL };
  if (k.length === 0) throw new UsageError('the key must not be empty (use --prefix "" for every key)');
  if (rangeEnd !== undefined) return { key: k, rangeEnd: argBytes('RANGE_END', rangeEnd, style) };
  return { key: k };
}
