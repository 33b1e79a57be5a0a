// Which format a store on disk is in, decided at open before anything is read as data.
//   format 1 (Kite before record checksums): every value a bare msgpack value; no tally, no marker.
//   format 2 (now): every value sealed with a checksum; meta holds the record tally and the
//                   marker formatVersion = 2, written in the same batch as the first data.
// The marker is what makes the decision sound: a store whose marker is sealed and valid is
// format 2, whatever else it holds. Without one, the store is format 1 only if EVERY value
// decodes as format 1's encoding of its kind, and that is positive evidence: a sealed value
// never decodes as a bare one (msgpack is prefix-free, so its checksum bytes are left over).
// A store without a marker holding any sealed or undecodable value is damage (its marker lost,
// or a mix no Kite wrote) and is refused, never re-checksummed: sealing damaged data would
// make it look healthy.
//
// A marker may be present unsealed: a format-1 member that installed a snapshot from a format-2
// leader stored that leader's meta records bare. Such a store is format 1 like any other.

import type { Backend, BackendEntry, BackendOp } from './backend/backend.js';
import { unsealValue } from './backend/checksum-backend.js';
import { StoreDirError } from './backend/store-dir-error.js';
import { CorruptError } from './corrupt-error.js';
import { LEASE_PREFIX, META_PREFIX, REV_PREFIX, decodeLease, decodeMeta, decodeRecord, describeKey, encodeMeta, metaKey, revFromKey } from './layout.js';
import type { MetaName } from './layout.js';
import { emptyTally, tallyKey } from './record-tally.js';

/** The format this build writes. */
export const STORE_FORMAT_VERSION = 2;
/** The format before record checksums (no marker). */
export const PRE_CHECKSUM_FORMAT_VERSION = 1;

/** Meta records that describe the whole content, not replicated state: rebuilt on replace. */
const CONTENT_META: readonly MetaName[] = ['recordCount', 'recordKeyCrcSum', 'formatVersion'];

export type StoreFormat =
  | { readonly kind: 'current' }
  /** Holds nothing yet: the first apply batch writes the marker. */
  | { readonly kind: 'fresh' }
  | { readonly kind: 'preChecksum'; readonly entries: number };

/** The marker op (a payload: the checksum layer seals it like any value). */
export function formatMarkerOp(): BackendOp {
  return { type: 'put', key: metaKey('formatVersion'), value: encodeMeta(STORE_FORMAT_VERSION) };
}

/** True when `value` is a complete format-1 value for `key`'s kind (nothing left over). */
function isPreChecksumValue(key: Uint8Array, value: Uint8Array): boolean {
  try {
    if (key[0] === REV_PREFIX) {
      revFromKey(key);
      decodeRecord(value);
    } else if (key[0] === LEASE_PREFIX && key.byteLength === 9) {
      decodeLease(value);
    } else if (key[0] === META_PREFIX) {
      decodeMeta(value);
    } else {
      return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Reads `raw` (the backend under the checksum layer) and tells its format. Throws CorruptError. */
export async function detectFormat(raw: Backend): Promise<StoreFormat> {
  const markerKey = metaKey('formatVersion');
  const marker = await raw.get(markerKey);
  if (marker !== undefined && !isPreChecksumValue(markerKey, marker)) {
    const payload = unsealValue(markerKey, marker);
    let version: number | undefined;
    try {
      version = payload === undefined ? undefined : decodeMeta(payload);
    } catch {
      version = undefined;
    }
    if (version === STORE_FORMAT_VERSION) return { kind: 'current' };
    if (version === undefined) throw new CorruptError(raw.location, `${describeKey(markerKey)} is damaged (checksum mismatch or not a number)`);
    throw new StoreDirError(raw.location, `${raw.location} was written by another Kite version (store format ${version}; this build reads formats ${PRE_CHECKSUM_FORMAT_VERSION} and ${STORE_FORMAT_VERSION}): nothing was changed`);
  }
  return classifyUnmarked(raw);
}

/** No valid marker: format 1 if every value is format 1's, fresh if empty, else damage. */
async function classifyUnmarked(raw: Backend): Promise<StoreFormat> {
  let old = 0;
  let sealed = 0;
  let firstStray: Uint8Array | undefined;
  for await (const batch of raw.entries({})) {
    for (const [k, v] of batch) {
      if (isPreChecksumValue(k, v)) old++;
      else if (unsealValue(k, v) !== undefined) sealed++;
      else firstStray ??= k;
    }
  }
  if (firstStray === undefined && sealed === 0) return old === 0 ? { kind: 'fresh' } : { kind: 'preChecksum', entries: old };
  const noMarker = `there is no ${describeKey(metaKey('formatVersion'))}`;
  if (firstStray !== undefined) {
    throw new CorruptError(raw.location, `${noMarker}, and ${describeKey(firstStray)} is neither an older Kite's value nor a checksummed one`);
  }
  if (old === 0) {
    throw new CorruptError(raw.location, `${noMarker}, yet all ${sealed} values carry checksums: the marker was lost (damage), this is not an older Kite's store`);
  }
  throw new CorruptError(raw.location, `${noMarker}, and ${sealed} of ${sealed + old} values carry checksums while the rest do not: no Kite writes such a store`);
}

/**
 * Passes a whole new content through (payloads, e.g. a snapshot stream's or a format-1
 * store's entries) with the content meta rebuilt: any incoming tally or marker is dropped, and
 * the tally of the change records that actually pass, plus the marker, follow at the end. So
 * a replaced store is always format 2 with a true tally, whoever wrote the source.
 */
export async function* withContentMeta(source: AsyncIterable<readonly BackendEntry[]>): AsyncIterable<readonly BackendEntry[]> {
  const dropped = CONTENT_META.map(metaKey).map((k) => Buffer.from(k).toString('latin1'));
  const tally = emptyTally();
  for await (const batch of source) {
    const kept: BackendEntry[] = [];
    for (const entry of batch) {
      const key = entry[0];
      if (key[0] === META_PREFIX && dropped.includes(Buffer.from(key).toString('latin1'))) continue;
      if (key[0] === REV_PREFIX) tallyKey(tally, key, 1);
      kept.push(entry);
    }
    if (kept.length > 0) yield kept;
  }
  yield [
    [metaKey('recordCount'), encodeMeta(tally.count)],
    [metaKey('recordKeyCrcSum'), encodeMeta(tally.keyCrcSum)],
    [metaKey('formatVersion'), encodeMeta(STORE_FORMAT_VERSION)],
  ];
}
