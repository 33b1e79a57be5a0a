// Converts, once, the LevelDB Raft log of a data dir written before the WAL (<data-dir>/raft)
// into the WAL (<data-dir>/wal): read and check everything (every value's CRC, LevelDB's own
// LOG for skipped records), write it as WAL records, fsync, then retire the old directory.
//
// Crash safety: the old directory is retired by a rename (raft -> raft.converted, directory
// fsynced) only after the WAL is complete and synced. So at start:
// - raft/ present: the conversion did not finish; segments already in wal/ are a partial
//   attempt, deleted, and the conversion runs again from the untouched old log;
// - raft.converted/ present: the conversion finished; only its removal is left.

import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Entry } from '@kite/raft';
import { checkLevelDbOpen } from '../data-dir-check.js';
import { LegacyRaftLog } from '../legacy-raft-log.js';
import type { LoadedRaftState } from '../raft-log-store.js';
import { syncDirSync } from '../sync-dir.js';
import { nodeDisk } from '../disk.js';
import type { WalRecord } from './record.js';
import { SEGMENT_SUFFIX } from './scan.js';
import { WalWriter } from './writer.js';

export const LEGACY_RAFT_DIR = 'raft';
const RETIRED_SUFFIX = '.converted';
/** Entries per WAL write while converting (one fdatasync at the end). */
const CONVERT_BATCH_ENTRIES_MAX = 1024;

/** Converts <dataDir>/raft into walDir when present; returns the entries converted, or null. */
export async function convertLegacyRaftLog(dataDir: string, walDir: string, segmentBytes: number): Promise<number | null> {
  const legacyDir = path.join(dataDir, LEGACY_RAFT_DIR);
  const retired = legacyDir + RETIRED_SUFFIX;
  if (!existsSync(path.join(legacyDir, 'CURRENT'))) {
    rmSync(retired, { recursive: true, force: true });
    return null;
  }
  for (const name of readdirSync(walDir)) if (name.endsWith(SEGMENT_SUFFIX)) rmSync(path.join(walDir, name));
  const legacy = await LegacyRaftLog.open(legacyDir);
  let loaded: LoadedRaftState;
  try {
    checkLevelDbOpen(legacyDir, dataDir, 'raft log');
    loaded = await legacy.load();
  } finally {
    await legacy.close();
  }
  const count = await writeAsWal(loaded, walDir, segmentBytes);
  renameSync(legacyDir, retired);
  syncDirSync(dataDir);
  rmSync(retired, { recursive: true, force: true });
  return count;
}

async function writeAsWal(loaded: LoadedRaftState, walDir: string, segmentBytes: number): Promise<number> {
  if (loaded.identity === null) return 0; // an empty old log (a start that never bootstrapped)
  const snapshot = loaded.snapshot;
  const snapIndex = snapshot?.metadata.index ?? 0;
  // The catch-up tail is kept only as far as it runs without a gap up to the entries.
  const tail: Entry[] = [];
  for (let i = loaded.tail.length - 1; i >= 0; i--) {
    const e = loaded.tail[i] as Entry;
    if (e.index !== (tail[0]?.index ?? snapIndex + 1) - 1) break;
    tail.unshift(e);
  }
  const all = [...tail, ...loaded.entries];
  const compactIndex = (all[0]?.index ?? snapIndex + 1) - 1;
  const header: WalRecord[] = [{ type: 'identity', identity: loaded.identity }];
  if (snapshot !== null) header.push({ type: 'snapshot', snapshot, replacesLog: false });
  if (loaded.hardState !== null) header.push({ type: 'hardState', hardState: loaded.hardState });
  header.push({ type: 'compact', index: compactIndex });
  const writer = await WalWriter.open(nodeDisk, walDir, [], new Map(), segmentBytes);
  try {
    await writer.append([], true, () => header);
    for (let i = 0; i < all.length; i += CONVERT_BATCH_ENTRIES_MAX) {
      const batch = all.slice(i, i + CONVERT_BATCH_ENTRIES_MAX).map((entry): WalRecord => ({ type: 'entry', entry }));
      await writer.append(batch, i + CONVERT_BATCH_ENTRIES_MAX >= all.length, () => header);
    }
  } finally {
    await writer.close();
  }
  return all.length;
}
