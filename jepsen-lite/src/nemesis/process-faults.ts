// Process nemeses, by pid: kill -9 (one member, the leader, or all) and restart; power loss
// (kill -9 plus the loss of writes the member had not fsynced); pause (SIGSTOP for longer
// than the election timeout, then SIGCONT).
//
// Power loss emulates a lost page cache for both of a member's logs:
// - The Raft WAL (data/wal, packages/server/src/wal/): the member writes the synced end of
//   its WAL (segment name and offset) to wal/synced after every fdatasync. Everything written
//   after it was never synced: we zero a random part of it, from the end of the written bytes
//   backwards (the segment keeps its preallocated size, as after a real power cut), and any
//   later segment past its file header. The member then finds a torn tail and cuts it. A
//   member that acknowledged an entry before its fsync would lose it here, and the checkers
//   would see an acknowledged write vanish (jepsen-lite/test/runner/power-loss-wal.test.ts).
//   With no wal/synced we cut nothing rather than risk cutting synced bytes.
// - The key-value backend (LevelDB under data/kv) writes its apply batches without sync and
//   makes them durable at sync points: the store's flush() (before the server compacts the
//   Raft log) forces the memtable into a table file, which LevelDB fsyncs, then makes one
//   synced delete of the key 00 66, and LevelDB fsyncs its log file for it, covering every
//   earlier write in that log. We truncate the newest kv write-ahead log (*.log) at a random
//   point AFTER its last marker record (LevelDB then sees a torn tail, as after a real power
//   cut): only writes that were never synced are lost. Limits: the marker is a detail of the
//   server's sync (if it changes, this finds no marker); with no marker in a store that was
//   never replaced (db-0) nothing in the newest log was synced, so any point is fair; with no
//   marker in a replaced store (db-N, N >= 1, whose log may end with the install's synced
//   batch) we cut nothing rather than risk cutting synced bytes.
// At most POWER_LOSS_TAIL_BYTES_MAX are cut from each log.

import { existsSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LEADER_WAIT_ELECTIONS, type ActiveFault, type Nemesis, type NemesisContext, type NemesisName } from './types.js';

/** Most bytes a power loss cuts from each write-ahead log (the Raft WAL, the kv store's). */
export const POWER_LOSS_TAIL_BYTES_MAX = 256 * 1024;

async function restart(ctx: NemesisContext, names: readonly string[]): Promise<void> {
  for (const n of names) {
    const p = ctx.cluster.process(n);
    if (p.state === 'stopped') p.start();
  }
  ctx.recorder.nemesis('restart', { nodes: [...names] });
  ctx.log(`restarted ${names.join(' ')}`);
}

async function pickTargets(ctx: NemesisContext, which: 'one' | 'leader' | 'all'): Promise<string[] | null> {
  const running = ctx.cluster.runningNames();
  if (running.length === 0) return null;
  if (which === 'all') return running;
  if (which === 'one') return [ctx.rng.pick(running)];
  const leader = await ctx.cluster.leaderWithin(ctx.cluster.electionTimeoutMs * LEADER_WAIT_ELECTIONS);
  return leader === null || !running.includes(leader) ? null : [leader];
}

class KillNemesis implements Nemesis {
  constructor(
    readonly name: NemesisName,
    private readonly which: 'one' | 'leader' | 'all',
    private readonly powerLoss: boolean,
  ) {}

  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const targets = await pickTargets(ctx, this.which);
    if (targets === null) return null;
    await Promise.all(targets.map((n) => ctx.cluster.process(n).kill9()));
    const lost: Record<string, number> = {};
    const lostRaft: Record<string, number> = {};
    if (this.powerLoss) {
      for (const n of targets) {
        const dataDir = ctx.cluster.member(n).dataDir;
        lostRaft[n] = loseUnsyncedRaftWalTail(dataDir, ctx.rng.next());
        lost[n] = loseUnsyncedKvTail(dataDir, ctx.rng.next());
      }
    }
    ctx.recorder.nemesis('kill', { kind: this.name, nodes: targets, ...(this.powerLoss ? { lostKvWalBytes: lost, lostRaftWalBytes: lostRaft } : {}) });
    ctx.log(
      `${this.powerLoss ? 'power loss' : 'kill -9'} ${targets.join(' ')}` +
        (this.powerLoss ? ` (raft WAL bytes cut: ${JSON.stringify(lostRaft)}, kv WAL bytes cut: ${JSON.stringify(lost)})` : ''),
    );
    return { stop: () => restart(ctx, targets) };
  }
}

class PauseNemesis implements Nemesis {
  constructor(
    readonly name: NemesisName,
    private readonly which: 'one' | 'leader',
  ) {}

  minHoldMs(ctx: NemesisContext): number {
    return ctx.cluster.electionTimeoutMs * 2;
  }

  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const targets = await pickTargets(ctx, this.which);
    if (targets === null) return null;
    for (const n of targets) ctx.cluster.process(n).pause();
    ctx.recorder.nemesis('pause', { kind: this.name, nodes: targets });
    ctx.log(`SIGSTOP ${targets.join(' ')}`);
    return {
      stop: async () => {
        for (const n of targets) ctx.cluster.process(n).resume();
        ctx.recorder.nemesis('resume', { nodes: targets });
        ctx.log(`SIGCONT ${targets.join(' ')}`);
      },
    };
  }
}

/**
 * The synced write of the store's flush() (packages/kvstore LevelBackend.flush) as it appears
 * in a LevelDB log record: a deletion (tag 0) of a 2-byte key (length 2) 00 66.
 * jepsen-lite/test/runner/power-loss-leveldb.test.ts checks it against a real flush.
 */
export const SYNC_MARKER = Buffer.from([0x00, 0x02, 0x00, 0x66]);
/** LevelDB log format: 32 KiB blocks of records with a 7-byte header (crc, length, type). */
const LOG_BLOCK_BYTES = 32 * 1024;
const LOG_HEADER_BYTES = 7;
const RECORD_FULL = 1;
const RECORD_LAST = 4;

/** End offsets of the log's complete logical records (a torn tail ends the walk). */
export function logRecordEnds(log: Buffer): number[] {
  const ends: number[] = [];
  let pos = 0;
  while (pos + LOG_HEADER_BYTES <= log.length) {
    const left = LOG_BLOCK_BYTES - (pos % LOG_BLOCK_BYTES);
    if (left < LOG_HEADER_BYTES) {
      pos += left; // block trailer padding
      continue;
    }
    const length = log.readUInt16LE(pos + 4);
    const type = log[pos + 6] as number;
    const end = pos + LOG_HEADER_BYTES + length;
    if (type === 0 || end > log.length) break;
    if (type === RECORD_FULL || type === RECORD_LAST) ends.push(end);
    pos = end;
  }
  return ends;
}

/**
 * Where the newest kv write-ahead log may be cut: [durableBytes, size). The durable prefix
 * ends with the whole record holding the last sync marker (LevelDB may have grouped later
 * writes into that synced record). `activeDb` is the store directory (db-0: never replaced).
 */
export function unsyncedTail(log: Buffer, activeDb: string): { durableBytes: number; size: number } {
  const at = log.lastIndexOf(SYNC_MARKER);
  if (at < 0) return { durableBytes: activeDb === 'db-0' ? 0 : log.length, size: log.length };
  const end = logRecordEnds(log).find((e) => e >= at + SYNC_MARKER.length);
  return { durableBytes: end ?? log.length, size: log.length };
}

/**
 * Truncates the newest write-ahead log of the member's active kv LevelDB inside its unsynced
 * tail, at a fraction `u` of it (bounded). Returns the bytes removed (0: nothing to cut).
 */
export function loseUnsyncedKvTail(dataDir: string, u: number): number {
  const kvDir = path.join(dataDir, 'kv');
  const activeFile = path.join(kvDir, 'ACTIVE');
  const active = existsSync(activeFile) ? readFileSync(activeFile, 'utf8').trim() : '';
  const dbDir = path.join(kvDir, active);
  if (active === '' || !existsSync(dbDir)) return 0;
  const logs = readdirSync(dbDir).filter((f) => /^\d+\.log$/.test(f)).sort();
  const newest = logs[logs.length - 1];
  if (newest === undefined) return 0;
  const file = path.join(dbDir, newest);
  const { durableBytes, size } = unsyncedTail(readFileSync(file), active);
  const cut = Math.floor(Math.min(size - durableBytes, POWER_LOSS_TAIL_BYTES_MAX) * u);
  if (cut > 0) truncateSync(file, size - cut);
  return cut;
}

/** The Raft WAL's segment file header (packages/server/src/wal/record.ts FILE_HEADER_BYTES). */
const WAL_FILE_HEADER_BYTES = 16;
const WAL_SEGMENT = /^[0-9a-f]{16}\.wal$/;

/** The offset just past the last non-zero byte of `buf` at or after `from` (`from` if none). */
function writtenEnd(buf: Buffer, from: number): number {
  for (let i = buf.length - 1; i >= from; i--) if (buf[i] !== 0) return i + 1;
  return from;
}

/**
 * Zeroes part of the Raft WAL's unsynced tail: in the segment wal/synced names, a fraction `u`
 * (bounded) of the bytes written after the synced offset, taken from the end; in any later
 * segment, everything after its file header. Returns the bytes zeroed (0: nothing to cut).
 */
export function loseUnsyncedRaftWalTail(dataDir: string, u: number): number {
  const walDir = path.join(dataDir, 'wal');
  const hintFile = path.join(walDir, 'synced');
  if (!existsSync(hintFile)) return 0;
  const hint = /^([0-9a-f]{16}\.wal) (\d{16})\n/.exec(readFileSync(hintFile, 'latin1'));
  if (hint === null) return 0;
  const [, syncedSegment = '', offsetText = ''] = hint;
  const syncedOffset = Number.parseInt(offsetText, 10);
  let cut = 0;
  for (const name of readdirSync(walDir).filter((f) => WAL_SEGMENT.test(f)).sort()) {
    if (name < syncedSegment) continue;
    const file = path.join(walDir, name);
    const buf = readFileSync(file);
    const durable = name === syncedSegment ? syncedOffset : WAL_FILE_HEADER_BYTES;
    const end = writtenEnd(buf, durable);
    const n = name === syncedSegment ? Math.floor(Math.min(end - durable, POWER_LOSS_TAIL_BYTES_MAX) * u) : end - durable;
    if (n <= 0) continue;
    buf.fill(0, end - n, end);
    writeFileSync(file, buf);
    cut += n;
  }
  return cut;
}

export const processNemeses: readonly Nemesis[] = [
  new KillNemesis('kill-one', 'one', false),
  new KillNemesis('kill-leader', 'leader', false),
  new KillNemesis('kill-all', 'all', false),
  new KillNemesis('power-loss', 'one', true),
  new PauseNemesis('pause-one', 'one'),
  new PauseNemesis('pause-leader', 'leader'),
];
