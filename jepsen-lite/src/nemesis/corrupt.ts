// Corrupt nemesis: a follower (a minority member) is killed, and bytes it had SYNCED are
// damaged: a bit flipped, the file truncated, or its last synced bytes cut (a disk that lied
// about a flush), in one of its Raft WAL segments (data/wal) or,
// when one is staged, a snapshot file (data/snap/snap-*.snap). Then it is started again. A
// healthy member refuses to start with a clear message (exit code 3, "cannot start: …"): the
// WAL's CRC and sequence checks catch the damage. The nemesis records what the member did and,
// on stop, acts as an operator would for a refused member: remove it through the API, wipe its
// data directory, add it back (it then catches up from the leader by snapshot). A member that
// starts on damaged files is left running: the corrupt-serving checker flags everything it
// serves until it is re-added from a clean directory.
// Only synced bytes are damaged (the WAL's wal/synced hint bounds them): an unsynced tail may
// be cut legitimately by a start (that is power-loss's fault, not this one).

import { existsSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Rng } from '../util/rng.js';
import { monotonicMs, sleep } from '../util/time.js';
import { readd } from './member.js';
import { pickFollowerOfWholeCluster } from './pick-follower.js';
import type { ActiveFault, Nemesis, NemesisContext } from './types.js';

/** The WAL segment header (packages/server/src/wal/record.ts FILE_HEADER_BYTES): damage goes after it. */
const WAL_FILE_HEADER_BYTES = 16;
const WAL_SEGMENT = /^[0-9a-f]{16}\.wal$/;
const SNAP_FILE = /^snap-\d+\.snap$/;
/** How long the restarted member gets to refuse (exit) before it counts as running. */
const REFUSE_WAIT_MS_MAX = 20_000;
const POLL_MS = 200;
const CALL_TIMEOUT_MS = 10_000;

/** A byte range of a file that was synced, so damage in it is corruption, not a torn tail. */
export interface SyncedRange {
  /** Relative to the data directory. */
  readonly file: string;
  readonly from: number;
  readonly to: number;
}

export type Damage =
  | { readonly how: 'flip'; readonly file: string; readonly offset: number; readonly bit: number }
  | { readonly how: 'truncate' | 'truncate-tail'; readonly file: string; readonly sizeBytes: number; readonly cutBytes: number };

/** The offset just past the last non-zero byte at or after `from` (`from` if none). */
function writtenEnd(buf: Buffer, from: number): number {
  for (let i = buf.length - 1; i >= from; i--) if (buf[i] !== 0) return i + 1;
  return from;
}

/**
 * The synced bytes of a member's WAL segments and staged snapshot files. Segments before the
 * one wal/synced names are synced up to their written end; that one up to the hinted offset;
 * later ones not at all. No hint: nothing of the WAL is known to be synced.
 */
export function syncedRanges(dataDir: string): SyncedRange[] {
  const out: SyncedRange[] = [];
  const walDir = path.join(dataDir, 'wal');
  const hintFile = path.join(walDir, 'synced');
  const hint = existsSync(hintFile) ? /^([0-9a-f]{16}\.wal) (\d{16})\n/.exec(readFileSync(hintFile, 'latin1')) : null;
  if (hint !== null) {
    const [, syncedSegment = '', offsetText = ''] = hint;
    for (const name of readdirSync(walDir).filter((f) => WAL_SEGMENT.test(f)).sort()) {
      if (name > syncedSegment) break;
      const to = name === syncedSegment ? Number.parseInt(offsetText, 10) : writtenEnd(readFileSync(path.join(walDir, name)), WAL_FILE_HEADER_BYTES);
      if (to > WAL_FILE_HEADER_BYTES) out.push({ file: path.join('wal', name), from: WAL_FILE_HEADER_BYTES, to });
    }
  }
  const snapDir = path.join(dataDir, 'snap');
  if (existsSync(snapDir)) {
    for (const name of readdirSync(snapDir).filter((f) => SNAP_FILE.test(f)).sort()) {
      const size = readFileSync(path.join(snapDir, name)).length;
      if (size > 0) out.push({ file: path.join('snap', name), from: 0, to: size });
    }
  }
  return out;
}

/**
 * A tail cut loses at most this many synced bytes at the end of the last synced range: the last
 * acknowledged record or two, as a disk that lied about its flush would (a cut anywhere in the
 * range mostly takes entries the store already applied, which a second check also refuses).
 */
export const SYNCED_TAIL_CUT_BYTES_MAX = 48;

/** Damages one synced range, chosen from `rng`: a flipped bit, a cut inside it, or a cut of its synced tail. */
export function damageMember(dataDir: string, rng: Rng): Damage | null {
  const ranges = syncedRanges(dataDir);
  if (ranges.length === 0) return null;
  const mode = rng.pick(['flip', 'truncate', 'truncate-tail'] as const);
  const r = mode === 'truncate-tail' ? (ranges.filter((x) => x.file.startsWith('wal')).pop() ?? rng.pick(ranges)) : rng.pick(ranges);
  const file = path.join(dataDir, r.file);
  const tailFrom = Math.max(r.from, r.to - SYNCED_TAIL_CUT_BYTES_MAX);
  const offset = mode === 'truncate-tail' ? tailFrom + Math.floor(rng.next() * (r.to - tailFrom)) : r.from + Math.floor(rng.next() * (r.to - r.from));
  if (mode === 'flip') {
    const buf = readFileSync(file);
    const bit = rng.between(0, 7);
    buf[offset] = (buf[offset] as number) ^ (1 << bit);
    writeFileSync(file, buf);
    return { how: 'flip', file: r.file, offset, bit };
  }
  const sizeBytes = readFileSync(file).length;
  truncateSync(file, offset);
  return { how: mode, file: r.file, sizeBytes, cutBytes: sizeBytes - offset };
}

/** The member's log since its last start marker, last line that says why it could not start. */
function refusal(logFile: string): string {
  if (!existsSync(logFile)) return '';
  const text = readFileSync(logFile, 'utf8');
  const since = text.slice(text.lastIndexOf('--- jepsen-lite: start #'));
  return since.split('\n').filter((l) => l.includes('cannot start')).pop()?.slice(0, 500) ?? '';
}

export const corruptNemesis: Nemesis = {
  name: 'corrupt',
  async start(ctx: NemesisContext): Promise<ActiveFault | null> {
    const cluster = ctx.cluster;
    const picked = await pickFollowerOfWholeCluster(ctx);
    if (picked === null) return null;
    const { node } = picked;
    const proc = cluster.process(node);
    const dataDir = cluster.member(node).dataDir;
    // A member with nothing synced yet (just re-added from a clean directory, before its first
    // synced append) has nothing this fault may damage: starting it again proves nothing, and
    // recording it as a corruption would make its normal start look like one.
    if (syncedRanges(dataDir).length === 0) return null;
    await proc.kill9();
    const damage = damageMember(dataDir, ctx.rng);
    if (damage === null) {
      // Its synced files went away between the look and the kill (a compaction): a plain kill.
      ctx.recorder.nemesis('kill', { kind: 'corrupt-nothing-synced', nodes: [node] });
      proc.start();
      ctx.recorder.nemesis('restart', { nodes: [node], kind: 'corrupt-nothing-synced' });
      return { stop: async () => undefined };
    }
    ctx.recorder.nemesis('kill', { kind: 'corrupt', nodes: [node], damage });
    ctx.log(`corrupt ${node}: ${JSON.stringify(damage)}`);
    proc.start();
    ctx.recorder.nemesis('restart', { nodes: [node], kind: 'corrupt' });
    const deadline = monotonicMs() + REFUSE_WAIT_MS_MAX;
    while (proc.alive && monotonicMs() < deadline) await sleep(POLL_MS);
    const refused = !proc.alive;
    const message = refused ? refusal(proc.spec.logFile) : '';
    ctx.recorder.nemesis('corrupt', { node, damage, outcome: refused ? 'refused' : 'running', exit: proc.lastExit, message });
    ctx.log(`corrupt ${node}: ${refused ? `refused to start (${JSON.stringify(proc.lastExit)}): ${message}` : 'started on damaged files'}`);
    return {
      stop: async () => {
        if (!refused) return;
        const oldId = cluster.idOf(node);
        try {
          const admin = await cluster.adminClient();
          await admin.members.remove(oldId, { timeoutMs: CALL_TIMEOUT_MS });
        } catch (err) {
          ctx.log(`corrupt ${node}: member remove failed: ${(err as Error).message}`);
          cluster.removed.add(node);
          return;
        }
        ctx.recorder.nemesis('remove-member', { node, id: oldId });
        rmSync(cluster.member(node).dataDir, { recursive: true, force: true });
        await readd(ctx, node, oldId);
      },
    };
  },
};
