// Byte helpers for the recipes (browser-safe: no Buffer). Key and prefix rules come from
// @kite/protocol so the recipes and the client agree on them; only concat is recipe-local.
export { bytesEqual, bytesToString as toText, prefixRangeEnd, toBytes } from '@kite/protocol';

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
