// `kite wal verify`: reads a data dir's WAL without changing anything, checks every record's
// CRC and the sequence rules, and lists the records. Unlike the member's start it goes on past
// a damaged segment, so one run shows every problem.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { WalRecord } from './record.js';
import { replay } from './replay.js';
import { WalCorruption, listSegments, readSyncedHint, scanSegment, type ScannedRecord, type TornTail } from './scan.js';

export interface WalProblem {
  readonly file: string;
  readonly offset: number;
  readonly why: string;
}

export interface WalVerifyReport {
  readonly walDir: string;
  readonly segments: readonly { readonly file: string; readonly records: number; readonly endOffset: number; readonly sizeBytes: number }[];
  readonly records: readonly { readonly file: string; readonly offset: number; readonly record: WalRecord }[];
  /** The unsynced end of the last segment a crash cut (a start would cut it and go on). */
  readonly torn: TornTail | null;
  /** Damage a start refuses. */
  readonly corruption: readonly WalProblem[];
}

export function verifyWal(dataDir: string): WalVerifyReport {
  const walDir = path.join(dataDir, 'wal');
  if (!existsSync(walDir)) {
    const legacy = existsSync(path.join(dataDir, 'raft', 'CURRENT'));
    throw new Error(legacy ? `${dataDir} holds a LevelDB raft log from before the WAL: the next start of the member converts it` : `no WAL at ${walDir}`);
  }
  const corruption: WalProblem[] = [];
  const segments: WalVerifyReport['segments'][number][] = [];
  const scanned: ScannedRecord[] = [];
  let torn: TornTail | null = null;
  let files;
  try {
    files = listSegments(walDir);
  } catch (err) {
    if (!(err instanceof WalCorruption)) throw err;
    corruption.push({ file: err.file, offset: err.offset, why: err.why });
    files = listSegments(walDir, false);
  }
  const hint = readSyncedHint(walDir);
  files.forEach((f, i) => {
    try {
      const s = scanSegment(f, readFileSync(f.path), i === files.length - 1, hint);
      segments.push({ file: f.path, records: s.segment.records, endOffset: s.segment.end, sizeBytes: s.segment.sizeBytes });
      scanned.push(...s.records);
      torn = s.torn ?? torn;
    } catch (err) {
      if (!(err instanceof WalCorruption)) throw err;
      corruption.push({ file: err.file, offset: err.offset, why: err.why });
    }
  });
  if (corruption.length === 0) {
    try {
      replay(scanned, walDir);
    } catch (err) {
      if (!(err instanceof WalCorruption)) throw err;
      corruption.push({ file: err.file, offset: err.offset, why: err.why });
    }
  }
  const bySeq = new Map(files.map((f) => [f.seq, f.path]));
  return { walDir, segments, records: scanned.map((r) => ({ file: bySeq.get(r.seq) ?? '', offset: r.offset, record: r.record })), torn, corruption };
}
