// CRC-32 with a running value. Wraps node:zlib's crc32, which returns 0 instead of the
// running value for an empty view over a zero-length ArrayBuffer (seen on Node 20.20):
// empty input must leave the CRC unchanged.

import { crc32 } from 'node:zlib';

export function crcUpdate(data: Uint8Array, crc: number): number {
  return data.byteLength === 0 ? crc : crc32(data, crc);
}
