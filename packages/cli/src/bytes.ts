// Bytes at the CLI's edges: keys and values arrive from argv as text (or hex, with --hex) and
// leave as text (or hex). Invariants: JSON output is exact (text when valid UTF-8, else base64
// under a `_base64` field name); text output never sends a control character to the terminal
// raw, and two different keys never print the same (bytes that are not UTF-8 print as \xNN,
// and in keys a backslash prints as \\).
import { UsageError } from './errors.js';

const encoder = new TextEncoder();
const strict = new TextDecoder('utf-8', { fatal: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** How keys and values are given on the command line and shown in simple/table output. */
export type BytesStyle = 'text' | 'hex';

/** A key or value argument: UTF-8 text, or with --hex pairs of hex digits (`6b31` is `k1`). */
export function argBytes(what: string, raw: string, style: BytesStyle): Uint8Array {
  if (style === 'text') return utf8(raw);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(raw)) {
    throw new UsageError(`${what} must be hex with --hex (two digits per byte, like 6b6579 for "key"); got '${raw}'`);
  }
  return Uint8Array.from(Buffer.from(raw, 'hex'));
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Lone control characters that move the cursor or reorder text (bidi controls included). */
function isControl(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x200e || cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x2028 || cp === 0x2029;
}

const NAMED_ESCAPES: Readonly<Record<number, string>> = { 0x0a: '\\n', 0x09: '\\t', 0x0d: '\\r' };

function escapeControl(cp: number): string {
  const named = NAMED_ESCAPES[cp];
  if (named !== undefined) return named;
  // \xNN is reserved for bytes that are not UTF-8; characters use \u{…}.
  return cp < 0x20 || cp === 0x7f ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

/** Length of the valid UTF-8 sequence at b[i] (0: not valid there), per RFC 3629. */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c0 = b[i]!;
  if (c0 < 0x80) return 1;
  const n = c0 >= 0xc2 && c0 <= 0xdf ? 2 : c0 >= 0xe0 && c0 <= 0xef ? 3 : c0 >= 0xf0 && c0 <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  const c1 = b[i + 1]!;
  const lo = c0 === 0xe0 ? 0xa0 : c0 === 0xf0 ? 0x90 : 0x80;
  const hi = c0 === 0xed ? 0x9f : c0 === 0xf4 ? 0x8f : 0xbf;
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  return n;
}

/**
 * Text for a terminal. Control characters are escaped (\x1b, \r, \u{202e}); `keepLines`
 * keeps newlines and tabs raw (multi-line values stay readable). Bytes that are not UTF-8
 * print as \xNN; `escapeBackslash` makes that unambiguous (used for keys).
 */
export function escapeForTerminal(b: Uint8Array, opts: { keepLines: boolean; escapeBackslash: boolean }): string {
  let out = '';
  let i = 0;
  while (i < b.length) {
    const n = utf8SequenceLength(b, i);
    if (n === 0) {
      out += `\\x${b[i]!.toString(16).padStart(2, '0')}`;
      i++;
      continue;
    }
    const ch = strict.decode(b.subarray(i, i + n));
    const cp = ch.codePointAt(0)!;
    i += n;
    if (opts.keepLines && (cp === 0x0a || cp === 0x09)) out += ch;
    else if (isControl(cp)) out += escapeControl(cp);
    else if (opts.escapeBackslash && cp === 0x5c) out += '\\\\';
    else out += ch;
  }
  return out;
}

/** A value for text output (newlines and tabs kept; see escapeForTerminal). */
export function text(b: Uint8Array): string {
  return escapeForTerminal(b, { keepLines: true, escapeBackslash: false });
}

/** A key (or a table cell) for text output: always one line, and distinct keys print distinctly. */
export function keyText(b: Uint8Array): string {
  return escapeForTerminal(b, { keepLines: false, escapeBackslash: true });
}

/** A key as `style` shows it. */
export function showKey(b: Uint8Array, style: BytesStyle): string {
  return style === 'hex' ? hexOf(b) : keyText(b);
}

/** A value as `style` shows it. */
export function showValue(b: Uint8Array, style: BytesStyle): string {
  return style === 'hex' ? hexOf(b) : text(b);
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
