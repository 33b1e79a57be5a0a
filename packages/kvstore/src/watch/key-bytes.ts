// Byte keys as JavaScript strings for the watch indexes. Each byte becomes one UTF-16 code
// unit (latin1), so the mapping is one-to-one and string comparison (`<`) is exactly the
// unsigned byte order etcd uses for keys; Maps can then index keys by value.

// One conversion for the whole store (../bytes.ts), so index keys and watch keys always agree.
import { keyInterval, keyString } from '../bytes.js';

export { keyString };

/**
 * The end of the range holding every key that starts with `prefix` (etcd's prefix rule: strip
 * trailing 0xff bytes, add one to the last byte). `null` means "no end" (all keys ≥ prefix),
 * which is what etcd encodes as a range end of "\0".
 */
export function prefixEnd(prefix: string): string | null {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xff) end--;
  if (end === 0) return null;
  return prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
}

/** The shape of a watched key range, classified once so matching picks the cheap index. */
export type KeyRange =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'interval'; readonly start: string; readonly end: string | null };

/**
 * Classifies etcd's (key, rangeEnd) pair: no/empty rangeEnd is one key; "\0" is every key
 * ≥ key; a rangeEnd equal to prefixEnd(key) is a prefix; anything else is [key, rangeEnd).
 */
export function classifyRange(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyRange {
  const iv = keyInterval(key, rangeEnd);
  const start = iv.start;
  if (iv.end === undefined) return { kind: 'key', key: start };
  const end = iv.end === '' ? null : iv.end;
  if (start.length === 0 && end === null) return { kind: 'prefix', prefix: '' };
  if (end !== null && start.length > 0 && prefixEnd(start) === end) return { kind: 'prefix', prefix: start };
  return { kind: 'interval', start, end };
}
