// Bytes at the CLI's edges: keys and values arrive from argv as text and leave as text.
// Invariant: anything that is not valid UTF-8 is never silently mangled in JSON output; it
// is shown as base64 under a `_base64` field name instead.
import { UsageError } from './errors.js';

const encoder = new TextEncoder();
const lossy = new TextDecoder('utf-8');
const strict = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Text for a terminal: invalid sequences become U+FFFD (only for display). */
export function text(b: Uint8Array): string {
  return lossy.decode(b);
}

export function isUtf8(b: Uint8Array): boolean {
  try {
    strict.decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Adds `name` (UTF-8 text) or `name_base64` to a JSON record. */
export function putBytesField(out: Record<string, unknown>, name: string, b: Uint8Array): void {
  if (isUtf8(b)) out[name] = strict.decode(b);
  else out[`${name}_base64`] = Buffer.from(b).toString('base64');
}

/** Lease ids are shown and accepted in hex, like etcdctl. */
export function formatLeaseId(id: number | bigint): string {
  return id.toString(16);
}

export function parseLeaseId(flag: string, raw: string | undefined): number {
  const s = String(raw ?? '').trim().replace(/^0x/i, '');
  if (!/^[0-9a-f]{1,14}$/i.test(s)) {
    throw new UsageError(`${flag} must be a lease id in hex (as printed by 'kite lease grant'); got '${String(raw ?? '')}'`);
  }
  const n = Number.parseInt(s, 16);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${flag}: lease id ${s} is too large`);
  return n;
}

export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}
