// A store written by the Kite before record checksums (format 1) opens by being converted once
// to today's format, through the atomic ACTIVE switch: every record, lease and meta value and
// the store hash carry over, a crash at any point leaves a store that opens with all its data,
// and damage of a format-2 store (its marker lost, values half sealed) is refused, not sealed.
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Clock, Driver, dec, enc, storeView, tempDirs } from './helpers.js';
import { ENCODING_SAMPLES, workload, writeOldFormatCopy } from './old-format.js';
import { KvStore } from '../src/kv-store.js';
import type { Backend, BackendEntry, StagedReplace } from '../src/backend/backend.js';
import { LevelBackend } from '../src/backend/level-backend.js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import { sealValue } from '../src/backend/checksum-backend.js';
import { encodeSnapshot } from '../src/snapshot.js';
import { encodeMeta, metaKey, revKey } from '../src/layout.js';

const newDir = tempDirs();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The workload run by today's store: the reference the converted store must equal. */
async function referenceStore(): Promise<{ store: KvStore; backend: MemoryBackend }> {
  const backend = new MemoryBackend();
  const store = await KvStore.open({ backend, clock: new Clock().fn });
  await new Driver(store).apply(...workload());
  await store.compactionIdle();
  return { store, backend };
}

/** A LevelDB store dir holding the reference content as 3976914 wrote it (db-0, ACTIVE). */
async function oldStoreDir(reference: MemoryBackend): Promise<string> {
  const dir = await newDir();
  const raw = await LevelBackend.open(dir);
  await writeOldFormatCopy(reference.reopened(), raw);
  await raw.close();
  return dir;
}

/** Every entry as the store sees it (payloads, checks passed), as hex pairs. */
async function payloads(backend: Backend): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of storeView(backend).entries({})) for (const [k, v] of batch) out.push(`${hex(k)}=${hex(v)}`);
  return out;
}

/** What a client can see: keys at every retained revision, hashes, leases, counters. */
async function observable(store: KvStore): Promise<unknown> {
  const revisions = [];
  for (let rev = store.compactRevision; rev <= store.currentRevision; rev++) {
    const all = await store.range({ key: enc('\0'), rangeEnd: enc('\0'), revision: rev });
    revisions.push({
      rev,
      kvs: all.kvs.map((kv) => [dec(kv.key), dec(kv.value), kv.createRevision, kv.modRevision, kv.version, kv.lease]),
      hash: (await store.hash(rev)).hash,
    });
  }
  const leases = store.leaseLeases().leases.map(({ id }) => store.leaseTimeToLive(id, { keys: true }, 0));
  return {
    appliedIndex: store.appliedIndex,
    currentRevision: store.currentRevision,
    compactRevision: store.compactRevision,
    revisions,
    leases: leases.map((l) => ({ ...l, keys: (l.keys ?? []).map(dec) })),
  };
}

const activeOf = (dir: string): string => readFileSync(path.join(dir, 'ACTIVE'), 'utf8').trim();
const dbsOf = (dir: string): string[] => readdirSync(dir).filter((n) => n.startsWith('db-')).sort();

describe('the format-1 fixture', () => {
  it('encodes values exactly as 3976914 did', () => {
    for (const s of ENCODING_SAMPLES) expect(hex(s.bytes()), s.what).toBe(s.hex);
  });
});

describe('a store written before record checksums', () => {
  it('opens converted once, with every record, lease, meta value and hash as before', async () => {
    const ref = await referenceStore();
    const expected = await observable(ref.store);
    const dir = await oldStoreDir(ref.backend);

    const store = await KvStore.open({ dir, clock: new Clock().fn });
    expect(store.formatConversion).toEqual({
      fromVersion: 1,
      toVersion: 2,
      entries: expect.any(Number) as unknown,
      fromLocation: path.join(dir, 'db-0'),
      toLocation: path.join(dir, 'db-1'),
    });
    expect(await observable(store)).toEqual(expected);
    await store.close();
    // The new database holds exactly what today's store holds after the same history (same
    // payloads, tally and marker), and the old one is gone.
    expect([activeOf(dir), dbsOf(dir)]).toEqual(['db-1', ['db-1']]);
    const raw = await LevelBackend.open(dir);
    expect(await payloads(raw)).toEqual(await payloads(ref.backend));
    await raw.close();

    const again = await KvStore.open({ dir, clock: new Clock().fn });
    expect(again.formatConversion).toBeUndefined();
    expect(activeOf(dir)).toBe('db-1');
    expect(await observable(again)).toEqual(expected);
    // Raft replays from the carried-over applied index: the last entry is skipped, the next applies.
    const d = new Driver(again);
    d.index = again.appliedIndex - 1;
    const [skipped, applied] = await d.apply({ op: 'put', args: { key: enc('x'), value: enc('1') } }, { op: 'put', args: { key: enc('after'), value: enc('upgrade') } });
    expect([skipped?.status, applied?.status]).toEqual(['skipped', 'applied']);
    await again.close();
    await ref.store.close();
  });

  it('that crashed after the new database was written, before the switch, converts again', async () => {
    const ref = await referenceStore();
    const expected = await observable(ref.store);
    const dir = await oldStoreDir(ref.backend);
    const raw = await LevelBackend.open(dir);
    await expect(KvStore.open({ backend: crashBeforeSwitch(raw) })).rejects.toThrow('crash before the switch');
    await raw.close();
    // The converted copy is complete on disk, but ACTIVE still names the old store.
    expect([activeOf(dir), dbsOf(dir)]).toEqual(['db-0', ['db-0', 'db-1']]);
    expect(existsSync(path.join(dir, 'db-1', 'CURRENT'))).toBe(true);

    const store = await KvStore.open({ dir, clock: new Clock().fn });
    expect(store.formatConversion?.fromVersion).toBe(1);
    expect(await observable(store)).toEqual(expected);
    await store.close();
    await ref.store.close();
  });

  it('that crashed after the switch, before the old database was removed, opens the new one', async () => {
    const ref = await referenceStore();
    const expected = await observable(ref.store);
    const dir = await oldStoreDir(ref.backend);
    const oldCopy = await newDir();
    cpSync(path.join(dir, 'db-0'), path.join(oldCopy, 'db-0'), { recursive: true });
    await (await KvStore.open({ dir })).close();
    // The state the crash leaves: ACTIVE names the new database, the old one is still there.
    cpSync(path.join(oldCopy, 'db-0'), path.join(dir, 'db-0'), { recursive: true });
    expect([activeOf(dir), dbsOf(dir)]).toEqual(['db-1', ['db-0', 'db-1']]);

    const store = await KvStore.open({ dir, clock: new Clock().fn });
    expect(store.formatConversion).toBeUndefined();
    expect(await observable(store)).toEqual(expected);
    expect(dbsOf(dir)).toEqual(['db-1']);
    await store.close();
    await ref.store.close();
  });

  it('holding a newer leader\'s tally and marker bare (from its snapshot) converts with a true tally', async () => {
    const ref = await referenceStore();
    const expected = await observable(ref.store);
    const disk = new MemoryBackend();
    await writeOldFormatCopy(ref.backend.reopened(), disk);
    // What 3976914 stored from a format-2 leader's snapshot stream: its content meta, bare and stale.
    await disk.write([
      { type: 'put', key: metaKey('formatVersion'), value: encodeMeta(2) },
      { type: 'put', key: metaKey('recordCount'), value: encodeMeta(999) },
      { type: 'put', key: metaKey('recordKeyCrcSum'), value: encodeMeta(12345) },
    ], { sync: false });
    const store = await KvStore.open({ backend: disk, clock: new Clock().fn });
    expect(store.formatConversion?.fromVersion).toBe(1);
    expect(await observable(store)).toEqual(expected);
    expect(await payloads(disk)).toEqual(await payloads(ref.backend));
    await store.close();
    await ref.store.close();
  });

  it('installs from an older leader\'s snapshot (no tally, no marker in the stream)', async () => {
    const ref = await referenceStore();
    const expected = await observable(ref.store);
    const leader = new MemoryBackend();
    await writeOldFormatCopy(ref.backend.reopened(), leader);
    const snap = leader.snapshot();
    const header = { appliedIndex: ref.store.appliedIndex, currentRevision: ref.store.currentRevision, compactRevision: ref.store.compactRevision };
    const follower = new MemoryBackend();
    const store = await KvStore.open({ backend: follower, clock: new Clock().fn });
    await store.restore(encodeSnapshot(header, snap, 1024));
    expect(await observable(store)).toEqual(expected);
    await store.close();
    const reopened = await KvStore.open({ backend: follower.reopened(), clock: new Clock().fn });
    expect(await observable(reopened)).toEqual(expected);
    expect(await payloads(follower)).toEqual(await payloads(ref.backend));
    await reopened.close();
    await ref.store.close();
  });
});

describe('a damaged store is refused, not converted', () => {
  it('a format-2 store whose marker is lost', async () => {
    const dir = await newDir();
    const store = await KvStore.open({ dir });
    await new Driver(store).apply(...workload());
    await store.close();
    const raw = await LevelBackend.open(dir);
    await raw.write([{ type: 'del', key: metaKey('formatVersion') }], { sync: true });
    await raw.close();
    await expect(KvStore.open({ dir })).rejects.toMatchObject({
      code: 'Corrupt',
      message: expect.stringMatching(/there is no meta record formatVersion, yet all \d+ values carry checksums: the marker was lost/) as unknown,
    });
    expect([activeOf(dir), dbsOf(dir)]).toEqual(['db-0', ['db-0']]);
  });

  it('a store without a marker whose values half carry checksums', async () => {
    const ref = await referenceStore();
    const dir = await oldStoreDir(ref.backend);
    await ref.store.close();
    const raw = await LevelBackend.open(dir);
    const key = revKey({ main: 30, sub: 0 });
    const bare = await raw.get(key);
    if (bare === undefined) throw new Error('no record at revision 30');
    await raw.write([{ type: 'put', key, value: sealValue(key, bare) }], { sync: true });
    await raw.close();
    await expect(KvStore.open({ dir })).rejects.toMatchObject({
      code: 'Corrupt',
      message: expect.stringMatching(/there is no meta record formatVersion, and 1 of \d+ values carry checksums while the rest do not/) as unknown,
    });
    expect([activeOf(dir), dbsOf(dir)]).toEqual(['db-0', ['db-0']]);
  });

  it('a format-1 store with a value that decodes as nothing Kite wrote', async () => {
    const disk = new MemoryBackend();
    await disk.write([
      { type: 'put', key: metaKey('appliedIndex'), value: encodeMeta(3) },
      { type: 'put', key: revKey({ main: 2, sub: 0 }), value: new Uint8Array([0x95, 0xc4]) },
    ], { sync: false });
    await expect(KvStore.open({ backend: disk })).rejects.toMatchObject({
      code: 'Corrupt',
      message: expect.stringContaining('change record at revision 2.0 is neither an older Kite\'s value nor a checksummed one') as unknown,
    });
  });

  it('a store marked with a format this build does not know', async () => {
    const disk = new MemoryBackend();
    const key = metaKey('formatVersion');
    await disk.write([{ type: 'put', key, value: sealValue(key, encodeMeta(3)) }], { sync: false });
    await expect(KvStore.open({ backend: disk })).rejects.toMatchObject({
      code: 'CorruptDataDir',
      message: expect.stringContaining('store format 3') as unknown,
    });
  });
});

/** `raw`, except that a staged replace is written in full and then the process "dies". */
function crashBeforeSwitch(raw: LevelBackend): Backend {
  return {
    get location() {
      return raw.location;
    },
    get: (key) => raw.get(key),
    getMany: (keys) => raw.getMany(keys),
    entries: (options) => raw.entries(options),
    write: (ops, options) => raw.write(ops, options),
    snapshot: () => raw.snapshot(),
    flush: () => raw.flush(),
    defrag: () => raw.defrag(),
    sizeBytes: () => raw.sizeBytes(),
    close: () => Promise.resolve(), // the test closes raw
    stageReplace: async (source: AsyncIterable<readonly BackendEntry[]>): Promise<StagedReplace> => {
      const staged = await raw.stageReplace(source);
      return {
        commit: () => Promise.reject(new Error('crash before the switch')),
        abort: () => staged.abort(),
      };
    },
  };
}
