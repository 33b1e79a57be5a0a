// Backend on LevelDB (`level`, classic-level underneath). The only module that imports it.
//
// Directory layout: `<dir>/ACTIVE` names the live database subdirectory (`db-<n>`). replace()
// (stageReplace + commit) builds a new subdirectory, then atomically renames a fresh ACTIVE file over the old one, so
// a crash at any point leaves either the old or the new store, never a mix. Stale
// subdirectories (a crashed replace, the previous store) are removed on open, but when ACTIVE
// cannot say which existing database is live (missing, garbled, naming a missing one), open
// refuses (StoreDirError) rather than delete them.
//
// Durability: flush() (and a staged replace before it can become active) forces LevelDB to
// write its memtables to table files, which it fsyncs with the manifest and its directory.
// A synced write alone is not enough: it fsyncs only the current log, and LevelDB closes a
// full memtable's log without fsync.

import { mkdir, open as openFile, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { assert } from '../assert.js';
import type { Backend, BackendEntry, BackendOp, BackendReader, BackendSnapshot, IterateOptions, StagedReplace } from './backend.js';
import { ITERATE_BATCH_ENTRIES } from './backend.js';
import { StoreDirError } from './store-dir-error.js';
import { damagedTables } from './table-check.js';

type Db = Level<Uint8Array, Uint8Array>;
// The snapshot handle type of abstract-level; typed loosely because `level` does not re-export it.
type LevelSnapshot = ReturnType<Db['snapshot']>;

const ACTIVE_FILE = 'ACTIVE';
const DB_NAME = /^db-\d+$/;

/** Compacting [FLUSH_RANGE_KEY, FLUSH_RANGE_KEY] flushes the memtable; no store key is in it. */
const FLUSH_RANGE_KEY = new Uint8Array([0]);
/** Deleted by flush's synced write (never stored); sorts after FLUSH_RANGE_KEY. */
const FLUSH_MARKER_KEY = new Uint8Array([0, 0x66]);
/** Bounds of a whole-store compaction: every key sorts in [empty, 0xff…] (keys start with a prefix byte < 0xff, see layout.ts). */
const DEFRAG_START_KEY = new Uint8Array(0);
const DEFRAG_END_KEY = new Uint8Array([0xff]);

/**
 * LevelDB memtable size (the 4 MiB default). It is resident memory, twice over while a full
 * memtable is being flushed: 16 MiB cost a member up to 32 MiB of RSS for a few percent of
 * bulk-apply throughput.
 */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

function openDb(location: string): Db {
  // writeBufferSize is a classic-level option the `level` facade's types do not list.
  const options = { keyEncoding: 'view', valueEncoding: 'view', writeBufferSize: WRITE_BUFFER_BYTES } as const;
  return new Level<Uint8Array, Uint8Array>(location, options);
}

class LevelReader implements BackendReader {
  constructor(
    protected readonly dbRef: () => Db,
    private readonly snap: LevelSnapshot | undefined,
  ) {}

  private opts(): { snapshot?: LevelSnapshot } {
    return this.snap === undefined ? {} : { snapshot: this.snap };
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.dbRef().get(key, this.opts());
  }

  async getMany(keys: readonly Uint8Array[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return [];
    return this.dbRef().getMany([...keys], this.opts());
  }

  async *entries(options: IterateOptions): AsyncIterable<readonly BackendEntry[]> {
    const size = options.batchEntries ?? ITERATE_BATCH_ENTRIES;
    const range: { gte?: Uint8Array; lt?: Uint8Array } = {};
    if (options.gte !== undefined) range.gte = options.gte;
    if (options.lt !== undefined) range.lt = options.lt;
    const it = this.dbRef().iterator({ ...range, ...this.opts() });
    // The next batch is read (in libuv's pool) while the caller works on this one: a scan
    // of the whole store (open, snapshot) overlaps LevelDB's reads with the JavaScript.
    let next = it.nextv(size);
    try {
      for (;;) {
        const batch = await next;
        if (batch.length === 0) return;
        next = it.nextv(size);
        yield batch as BackendEntry[];
      }
    } finally {
      // A read still in flight must settle before the iterator closes.
      await next.catch(() => undefined);
      await it.close();
    }
  }
}

export class LevelBackend extends LevelReader implements Backend {
  private constructor(
    private readonly dir: string,
    private activeName: string,
    private db: Db,
  ) {
    super(() => this.db, undefined);
  }

  get location(): string {
    return join(this.dir, this.activeName);
  }

  /** Throws StoreDirError when ACTIVE cannot say which of the existing databases is live. */
  static async open(dir: string): Promise<LevelBackend> {
    await mkdir(dir, { recursive: true });
    const activeName = await resolveActive(dir);
    for (const name of await readdir(dir)) {
      if (name.startsWith('db-') && name !== activeName) await rm(join(dir, name), { recursive: true, force: true });
    }
    const db = openDb(join(dir, activeName));
    await db.open();
    return new LevelBackend(dir, activeName, db);
  }

  async write(ops: readonly BackendOp[], options: { readonly sync: boolean }): Promise<void> {
    if (ops.length === 0) return;
    // The chained batch is ~4x faster than batch(array) here: abstract-level clones and
    // re-validates every op of an array batch in JS.
    const batch = this.db.batch();
    for (const op of ops) {
      if (op.type === 'put') batch.put(op.key, op.value);
      else batch.del(op.key);
    }
    await batch.write({ sync: options.sync });
  }

  snapshot(): BackendSnapshot {
    const snap = this.db.snapshot();
    const db = this.db;
    const reader = new LevelReader(() => db, snap);
    return Object.assign(reader, { close: () => snap.close() });
  }

  async stageReplace(source: AsyncIterable<readonly BackendEntry[]>): Promise<StagedReplace> {
    const seq = Number(this.activeName.slice(3)) + 1;
    const nextName = `db-${Number.isFinite(seq) ? seq : 1}`;
    const nextPath = join(this.dir, nextName);
    await rm(nextPath, { recursive: true, force: true });
    const next = openDb(nextPath);
    await next.open();
    const drop = async (): Promise<void> => {
      if (next.status === 'open') await next.close();
      await rm(nextPath, { recursive: true, force: true });
    };
    try {
      for await (const entries of source) {
        const batch = next.batch();
        for (const [key, value] of entries) batch.put(key, value);
        await batch.write();
      }
      // Durable before ACTIVE can name it (a crash after commit must not find it half there).
      await flushDb(next);
      await next.close();
    } catch (err) {
      await drop();
      throw err;
    }
    return {
      commit: async () => {
        await writeActive(this.dir, nextName);
        const old = this.db;
        const oldName = this.activeName;
        this.db = openDb(nextPath);
        await this.db.open();
        this.activeName = nextName;
        await old.close();
        await rm(join(this.dir, oldName), { recursive: true, force: true });
      },
      abort: drop,
    };
  }

  async flush(): Promise<void> {
    await flushDb(this.db);
  }

  async findDamage(): Promise<string[]> {
    return (await damagedTables(this.location)).map((d) => `${d.file} (${d.damage})`);
  }

  /** LevelDB compacts every level over the whole key space: dead entries are dropped as it rewrites. */
  async defrag(): Promise<void> {
    await compactable(this.db).compactRange(DEFRAG_START_KEY, DEFRAG_END_KEY);
  }

  /** Bytes of the live database's files on disk (approximateSize would miss the memtable and its log). */
  async sizeBytes(): Promise<number> {
    const dbDir = join(this.dir, this.activeName);
    let total = 0;
    for (const name of await readdir(dbDir)) {
      try {
        total += (await stat(join(dbDir, name))).size;
      } catch {
        // LevelDB removed the file (a compaction) between readdir and stat: it no longer counts.
      }
    }
    return total;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/**
 * Makes every completed write of `db` durable. LevelDB's CompactRange first switches the
 * memtable and waits until it, and any full one still waiting, is written to a table file
 * (fsynced, then the manifest and directory fsynced); over a range holding no key it compacts
 * nothing else. CompactRange reports no error, so a synced write follows: LevelDB refuses
 * writes after a failed background write, which surfaces it here.
 */
async function flushDb(db: Db): Promise<void> {
  await compactable(db).compactRange(FLUSH_RANGE_KEY, FLUSH_RANGE_KEY);
  await db.batch([{ type: 'del', key: FLUSH_MARKER_KEY }], { sync: true });
}

/** `level` is classic-level in Node, which has compactRange; the facade's types omit it. */
function compactable(db: Db): { compactRange(start: Uint8Array, end: Uint8Array): Promise<void> } {
  const c = db as Db & { compactRange?: (start: Uint8Array, end: Uint8Array) => Promise<void> };
  assert(typeof c.compactRange === 'function', 'the LevelDB binding has no compactRange');
  return { compactRange: (start, end) => c.compactRange!(start, end) };
}

/**
 * The live database's name from ACTIVE. A fresh directory (no ACTIVE, no database) gets
 * db-0. ACTIVE missing or garbled, or naming a database that is absent, while other databases
 * exist is refused: open would otherwise delete them.
 */
async function resolveActive(dir: string): Promise<string> {
  const activePath = join(dir, ACTIVE_FILE);
  const dbs = (await readdir(dir)).filter((n) => n.startsWith('db-'));
  let raw: string | undefined; // undefined: no ACTIVE file
  try {
    raw = await readFile(activePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const name = raw?.trim();
  if (name === undefined || !DB_NAME.test(name)) {
    if (dbs.length > 0) {
      const what = raw === undefined ? 'is missing' : `is garbled (${JSON.stringify(raw.slice(0, 40))})`;
      throw new StoreDirError(activePath, `${activePath} ${what} but ${dir} holds ${dbs.join(', ')}: refusing to guess the live store (nothing was deleted)`);
    }
    // A fresh directory, or one whose ACTIVE names nothing that exists: start empty.
    await writeActive(dir, 'db-0');
    return 'db-0';
  }
  // A crash between writing ACTIVE and creating db-0 leaves ACTIVE naming nothing: fine alone.
  if (!dbs.includes(name) && dbs.length > 0) {
    throw new StoreDirError(activePath, `${activePath} names ${name}, which is missing, while ${dir} holds ${dbs.join(', ')}: refusing to guess the live store (nothing was deleted)`);
  }
  return name;
}

/** Atomically points ACTIVE at `name`: write a temp file, fsync it, rename it over. */
async function writeActive(dir: string, name: string): Promise<void> {
  const tmp = join(dir, `${ACTIVE_FILE}.tmp`);
  const fh = await openFile(tmp, 'w');
  try {
    await fh.writeFile(name);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, join(dir, ACTIVE_FILE));
  const dh = await openFile(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
