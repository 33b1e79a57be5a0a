// The frame codec: one msgpackr-encoded value per WebSocket binary message. Browser-safe (no
// node:* imports). Decoding untrusted bytes never throws anything but a KiteError:
// oversized -> RequestTooLarge (checked before any parsing), undecodable or trailing bytes ->
// MalformedFrame. Binary values decode as Uint8Array (a Buffer under Node, which is one).

import { Packr } from 'msgpackr';
import { KiteError } from './errors.js';

// Plain maps (no records/structures: every frame must be self-describing, since peers do not
// share structure state), maps as objects, 64-bit ints as numbers (all our ints are safe).
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  int64AsType: 'number',
  moreTypes: false,
  structuredClone: false,
});

/** Encodes one frame; throws RequestTooLarge when it would exceed maxBytes. */
export function encodeFrame(value: unknown, maxBytes: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = packr.pack(value);
  } catch (err) {
    throw new KiteError('InvalidArgument', `cannot encode frame: ${errorMessage(err)}`, {}, { cause: err });
  }
  if (bytes.byteLength > maxBytes) {
    throw new KiteError('RequestTooLarge', `frame of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes}`, {
      limitBytes: maxBytes,
      actualBytes: bytes.byteLength,
    });
  }
  return bytes;
}

/** Decodes one frame; the result is untrusted (run parseRequest / parseServerFrame on it). */
export function decodeFrame(bytes: Uint8Array, maxBytes: number): unknown {
  if (!(bytes instanceof Uint8Array)) throw new KiteError('MalformedFrame', 'frame is not binary');
  if (bytes.byteLength > maxBytes) {
    throw new KiteError('RequestTooLarge', `frame of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes}`, {
      limitBytes: maxBytes,
      actualBytes: bytes.byteLength,
    });
  }
  if (bytes.byteLength === 0) throw new KiteError('MalformedFrame', 'empty frame');
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new KiteError('MalformedFrame', `undecodable frame: ${errorMessage(err)}`);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message.slice(0, 200) : 'unknown error';
}
