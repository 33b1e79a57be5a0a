// Byte helpers for the recipes (browser-safe: no Buffer).

const enc = new TextEncoder();
const dec = new TextDecoder();

export function toBytes(x: string | Uint8Array): Uint8Array {
  return typeof x === 'string' ? enc.encode(x) : x;
}

export function toText(b: Uint8Array): string {
  return dec.decode(b);
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The smallest key above every key that starts with `prefix` ("\0" = no bound). */
export function prefixRangeEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = end[i]! + 1;
      return end;
    }
  }
  return new Uint8Array([0]);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
