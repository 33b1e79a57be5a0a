// Start-up checks of the data directory beyond what the raft log store verifies itself. Each
// failed check is a DataDirError (exit 3) whose message names the path; run-server adds how to
// recover. Never repairs anything: a member that lost data must not rejoin as if it had not.
//
// - LevelDB without paranoid checks opens a database whose log file is damaged by SKIPPING the
//   damaged records (it notes "dropping N bytes" in the database's LOG) and then rewrites the
//   rest into a table, destroying the evidence. For the store that is lost applied batches;
//   for an old LevelDB raft log being converted to the WAL (wal/migrate-leveldb.ts), lost
//   entries or a lost vote. So the LOG of each open is read back, and
//   a damaged open is recorded in <data-dir>/CORRUPT, which refuses every later start until
//   the data dir is removed.
// - A store (kv) that is missing while the raft log holds applied entries means the state
//   machine is gone: starting would rebuild an empty one (or, past a snapshot, a wrong one).
//   The same when the store's ACTIVE pointer is missing or names no database: the store's
//   open would delete the databases it does not name. (This knows kvstore's directory
//   layout; the kvstore backend could refuse such a directory itself.)
// - Errors opening the store become DataDirErrors naming the store's path; damage the store's
//   own verification found (code Corrupt: a record checksum, a missing record) names the
//   database and the record.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import path from 'node:path';
import { diskFullPath } from './disk-full.js';
import { DataDirError } from './data-dir-error.js';
import type { LoadedRaftState } from './raft-log-store.js';

export const CORRUPT_MARKER = 'CORRUPT';
/** The exit code of a member whose data dir is damaged or unusable. */
export const EXIT_DATA_DIR = 3;
/** The store's pointer to its live database (kvstore's level-backend layout: kv/ACTIVE -> kv/db-<n>). */
const ACTIVE_FILE = 'ACTIVE';
/** LevelDB LOG lines that mean records were skipped while opening. */
const DROPPED_RECORDS = /dropping \d+ bytes|corruption/i;
/** Lines of the LOG quoted in the message and the marker. */
const QUOTED_LINES_MAX = 3;

/** Refuses a data dir an earlier start found damaged. */
export function refuseIfMarkedCorrupt(dataDir: string): void {
  const marker = path.join(dataDir, CORRUPT_MARKER);
  if (!existsSync(marker)) return;
  let why = '';
  try {
    why = readFileSync(marker, 'utf8').trim();
  } catch (err) {
    why = `(cannot read the marker: ${(err as Error).message})`;
  }
  throw new DataDirError('CorruptDataDir', `${marker} records earlier damage: ${why}`);
}

/**
 * Reads back the LOG of the LevelDB just opened at `dbDir`; when the open skipped damaged
 * records, writes the CORRUPT marker and throws.
 */
export function checkLevelDbOpen(dbDir: string, dataDir: string, what: string): void {
  let log: string;
  try {
    log = readFileSync(path.join(dbDir, 'LOG'), 'utf8');
  } catch {
    return; // no info log: nothing was recovered
  }
  const dropped = log.split('\n').filter((line) => DROPPED_RECORDS.test(line)).slice(0, QUOTED_LINES_MAX);
  if (dropped.length === 0) return;
  const why = `${what} at ${dbDir} is corrupt: LevelDB skipped damaged records while opening it (${dropped.map((l) => l.replace(/^\S+ \S+ /, '')).join('; ')})`;
  writeMarker(path.join(dataDir, CORRUPT_MARKER), why);
  throw new DataDirError('CorruptDataDir', why);
}

/** The LevelDB directories of the store: `kv` itself or its `db-*` subdirectories. */
export function kvDbDirs(kvDir: string): string[] {
  if (!existsSync(kvDir)) return [];
  const subs = readdirSync(kvDir).filter((n) => n.startsWith('db-')).map((n) => path.join(kvDir, n));
  return existsSync(path.join(kvDir, 'CURRENT')) ? [kvDir, ...subs] : subs;
}

/**
 * Throws when the store is gone although the raft log says this member applied entries, or
 * when the store's ACTIVE pointer does not name one of its databases: the store's open would
 * then delete the databases it does not name (they look like leftovers of a replace).
 */
export function checkKvPresent(kvDir: string, loaded: LoadedRaftState, bootstrapIndex: number): void {
  if (loaded.identity === null) return;
  const dbs = existsSync(kvDir) ? readdirSync(kvDir).filter((n) => n.startsWith('db-') && existsSync(path.join(kvDir, n, 'CURRENT'))) : [];
  if (dbs.length > 0) {
    const activeFile = path.join(kvDir, ACTIVE_FILE);
    let active: string | null = null;
    try {
      active = readFileSync(activeFile, 'utf8').trim();
    } catch {
      active = null;
    }
    if (active === null || !dbs.includes(active)) {
      throw new DataDirError(
        'CorruptDataDir',
        `the store at ${kvDir} is damaged: ${activeFile} ${active === null ? 'is missing' : `names "${active.slice(0, 40)}"`}, not one of its databases (${dbs.join(', ')})`,
      );
    }
    return;
  }
  const applied = Math.max(loaded.snapshot?.metadata.index ?? 0, loaded.hardState?.commit ?? 0);
  const hasEntries = loaded.entries.length > 0 || loaded.tail.length > 0;
  if (applied <= bootstrapIndex && !hasEntries) return; // nothing was applied yet: a fresh store is right
  if (existsSync(path.join(kvDir, 'CURRENT'))) return; // a store kept directly in kv/
  throw new DataDirError(
    'CorruptDataDir',
    `the store at ${kvDir} is missing (no LevelDB database in it) but the raft log says this member committed entries up to index ${applied}: its state machine is lost`,
  );
}

/** An error opening the store, as a DataDirError naming its path (disk full passes through). */
export function asKvOpenError(err: unknown, kvDir: string): unknown {
  if (err instanceof DataDirError || diskFullPath(err, kvDir) !== null) return err;
  if ((err as { code?: unknown }).code === 'Corrupt') return new DataDirError('CorruptDataDir', `the store ${(err as Error).message}`);
  const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
  if (/lock/i.test(cause)) return new DataDirError('DataDirLocked', `store at ${kvDir} is in use by another process (${cause})`);
  if (/corrupt/i.test(cause)) return new DataDirError('CorruptDataDir', `store at ${kvDir} is corrupt (${cause})`);
  return new DataDirError('DataDirUnreadable', `cannot open the store at ${kvDir}: ${cause}`);
}

function writeMarker(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, `${text}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
