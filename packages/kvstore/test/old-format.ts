// Stores in the format Kite wrote before record checksums (release 3976914), for the format
// conversion tests. That format has the same keys as today's ('r' + revision, 'l' + lease id,
// 'm' + name) but every value is a bare msgpack value with nothing after it, and meta holds
// no record tally and no format marker. The encoder below is written out from 3976914's
// layout.ts on purpose, not imported from src/layout.ts: the fixture must stay the OLD format
// even if today's codec changes. ENCODING_SAMPLES pins it to bytes that 3976914 wrote.
import { Packr } from 'msgpackr';
import type { Backend } from '../src/backend/backend.js';
import type { Command } from '../src/command.js';
import { decodeLease, decodeMeta, decodeRecord, LEASE_PREFIX, META_PREFIX, REV_PREFIX } from '../src/layout.js';
import type { ChangeRecord, LeaseRecord } from '../src/layout.js';
import { enc, storeView } from './helpers.js';

const oldPackr = new Packr({ useRecords: false, mapsAsObjects: true });

/** 3976914's change record: [key, value, createRevision, version, lease] or [key]. */
export function oldRecordBytes(r: ChangeRecord): Uint8Array {
  return r.tombstone ? oldPackr.pack([r.key]) : oldPackr.pack([r.key, r.value, r.createRevision, r.version, r.lease]);
}

/** 3976914's lease record: [id, ttlSeconds, remainingTtlMs]. */
export function oldLeaseBytes(l: LeaseRecord): Uint8Array {
  return oldPackr.pack([l.id, l.ttlSeconds, l.remainingTtlMs]);
}

/** 3976914's meta value: a bare msgpack number. */
export function oldMetaBytes(n: number): Uint8Array {
  return oldPackr.pack(n);
}

/** Values as 3976914's store wrote them (hex), printed once by running that commit's code. */
export const ENCODING_SAMPLES: readonly { readonly what: string; readonly bytes: () => Uint8Array; readonly hex: string }[] = [
  { what: 'put record', bytes: () => oldRecordBytes({ tombstone: false, key: enc('a'), value: enc('1'), createRevision: 2, version: 1, lease: 0 }), hex: '95c40161c40131020100' },
  { what: 'tombstone', bytes: () => oldRecordBytes({ tombstone: true, key: enc('a') }), hex: '91c40161' },
  { what: 'lease', bytes: () => oldLeaseBytes({ id: 7, ttlSeconds: 60, remainingTtlMs: 42000 }), hex: '93073ccda410' },
  { what: 'meta', bytes: () => oldMetaBytes(300), hex: 'cd012c' },
];

/** Meta names that did not exist before checksums (3976914 had the other four). */
const NEW_META = new Set(['recordCount', 'recordKeyCrcSum', 'formatVersion', 'authRevision', 'authEnabled', 'auditNextSeq', 'auditFirstSeq']);
/** Auth ('a') and audit ('x') records came after the old format: a downgrade drops them. */
const NEWER_PREFIXES: ReadonlySet<number> = new Set([0x61, 0x78]);

/**
 * Writes `source`'s content (a store in today's format) into the empty `target` backend the
 * way 3976914 stored it: each payload decoded and re-encoded with the old encoder, written
 * raw (no checksum), without the meta records the old format did not have.
 */
export async function writeOldFormatCopy(source: Backend, target: Backend): Promise<number> {
  let written = 0;
  for await (const batch of storeView(source).entries({})) {
    const ops = [];
    for (const [key, payload] of batch) {
      const value = oldValue(key, payload);
      if (value === undefined) continue;
      ops.push({ type: 'put' as const, key, value });
    }
    await target.write(ops, { sync: false });
    written += ops.length;
  }
  await target.flush();
  return written;
}

function oldValue(key: Uint8Array, payload: Uint8Array): Uint8Array | undefined {
  switch (key[0]) {
    case REV_PREFIX:
      return oldRecordBytes(decodeRecord(payload));
    case LEASE_PREFIX:
      return oldLeaseBytes(decodeLease(payload));
    case META_PREFIX:
      return NEW_META.has(Buffer.from(key.subarray(1)).toString('latin1')) ? undefined : oldMetaBytes(decodeMeta(payload));
    default:
      if (NEWER_PREFIXES.has(key[0] as number)) return undefined;
      throw new Error(`unexpected key 0x${Buffer.from(key).toString('hex')}`);
  }
}

/**
 * A history that touches every kind of record: puts over several revisions, a lease with keys
 * and a checkpoint, a txn (sub-revisions), deletes (tombstones), a compaction (so history
 * below it is gone and the compact markers are set) and later writes.
 */
export function workload(): Command[] {
  const cmds: Command[] = [];
  const put = (key: string, value: string, lease = 0): Command => ({ op: 'put', args: { key: enc(key), value: enc(value), lease } });
  for (let i = 0; i < 30; i++) cmds.push(put(`k/${i % 12}`, `v${i}`));
  cmds.push({ op: 'leaseGrant', args: { ttl: 60, id: 7 } });
  cmds.push({ op: 'leaseGrant', args: { ttl: 90, id: 8 } });
  cmds.push(put('lease/a', 'la', 7), put('lease/b', 'lb', 7));
  cmds.push({
    op: 'txn',
    args: { compare: [], success: [{ type: 'put', key: enc('t/1'), value: enc('x') }, { type: 'put', key: enc('t/2'), value: enc('y') }], failure: [] },
  });
  cmds.push({ op: 'deleteRange', args: { key: enc('k/3') } });
  cmds.push({ op: 'deleteRange', args: { key: enc('k/7'), rangeEnd: enc('k/9') } });
  cmds.push({ op: 'leaseCheckpoint', args: { checkpoints: [{ id: 7, remainingTtlMs: 42000 }] } });
  cmds.push({ op: 'compact', args: { revision: 20 } });
  cmds.push({ op: 'noop' });
  for (let i = 0; i < 10; i++) cmds.push(put(`k/${i}`, `after-${i}`));
  cmds.push({ op: 'deleteRange', args: { key: enc('t/1') } });
  return cmds;
}
