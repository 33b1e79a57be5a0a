// Staged state machine snapshots in data-dir/snap. A snapshot streamed by the leader is
// written here chunk by chunk (length-prefixed, so chunk boundaries survive) and kept until
// the store has restored from it: if the member crashes after the Raft log recorded the
// snapshot but before the store was replaced, the restart restores from this file.
//
// Invariants: a file named snap-<index>.snap is complete and durable (fsynced, renamed from a
// .part file only after the last chunk, and the rename fsynced in the directory) before
// addChunk returns it, so the host may record the snapshot in the Raft log right after;
// .part files are garbage and removed on start. Installing snapshot X prunes only files for
// indexes <= X: a newer one may already be handed to Raft and about to be recorded. A write
// that fails drops its stream and .part file (a file with a hole is never staged) and throws
// a SnapshotStageError naming the file, so a full disk can be reported as such.

import path from 'node:path';
import { nodeDisk, type Disk } from './disk.js';

/** Staged streams at once (one per sending peer is the normal case). */
const STREAMS_MAX = 4;
/** Largest single chunk accepted into a staged file. */
const CHUNK_BYTES_MAX = 64 * 1024 * 1024;

/** The writes staging makes to a file (injectable so tests can fail one deterministically). */
export interface StagingFile {
  write(data: Uint8Array): Promise<unknown>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Creates (truncates) a staging file for writing. */
export type OpenStagingFile = (file: string) => Promise<StagingFile>;

/** A staging file on `disk`, written sequentially. */
function openOn(disk: Disk): OpenStagingFile {
  return async (file) => {
    const f = await disk.open(file, 'create');
    let offset = 0;
    return {
      write: async (data) => {
        await f.write(data, offset);
        offset += data.length;
      },
      sync: () => f.datasync(),
      close: () => f.close(),
    };
  };
}

/**
 * An I/O failure while staging a received snapshot. `code` is the system error's (ENOSPC,
 * EDQUOT, EIO, ...) and `path` the file being written: Node's write errors carry no path.
 */
export class SnapshotStageError extends Error {
  readonly code: string;
  readonly path: string;

  constructor(file: string, cause: unknown) {
    super(`staging snapshot file ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SnapshotStageError';
    const code = (cause as { code?: unknown } | null)?.code;
    this.code = typeof code === 'string' ? code : 'SnapshotStageFailed';
    this.path = file;
  }
}

interface Stream {
  readonly snapshotId: string;
  readonly file: StagingFile;
  readonly partPath: string;
  readonly metadata: unknown;
  nextSeq: number;
}

export class SnapshotFiles {
  private readonly streams = new Map<string, Stream>();

  private readonly openFile: OpenStagingFile;

  constructor(
    private readonly dir: string,
    openFile?: OpenStagingFile,
    private readonly disk: Disk = nodeDisk,
  ) {
    this.openFile = openFile ?? openOn(disk);
  }

  async init(): Promise<void> {
    this.disk.mkdirp(this.dir);
    for (const f of this.disk.readdir(this.dir)) {
      if (f.endsWith('.part')) await this.disk.remove(path.join(this.dir, f));
    }
  }

  /** Whether a staged file is present. */
  has(file: string): boolean {
    return this.disk.exists(file);
  }

  /** A staged file read back as the chunks it was written from. */
  read(file: string): AsyncIterable<Uint8Array> {
    return readStagedChunks(file, this.disk);
  }

  pathFor(index: number): string {
    return path.join(this.dir, `snap-${index}.snap`);
  }

  /**
   * Adds one chunk from `peer`. Returns the stream's metadata and final path once the last
   * chunk is durable; null before. Out-of-order chunks abort the stream (throws).
   */
  async addChunk(
    peer: string,
    chunk: { snapshotId: string; seq: number; metadata?: unknown; data: Uint8Array; last: boolean },
    indexOf: (metadata: unknown) => number,
  ): Promise<{ metadata: unknown; path: string } | null> {
    let s = this.streams.get(peer);
    if (chunk.seq === 0) {
      if (s !== undefined) await this.abort(peer);
      if (this.streams.size >= STREAMS_MAX) throw new Error('too many snapshot streams at once');
      const partPath = path.join(this.dir, `${sanitize(chunk.snapshotId)}.part`);
      const file = await this.openFile(partPath).catch(async (err: unknown) => {
        await this.disk.remove(partPath).catch(() => undefined);
        throw new SnapshotStageError(partPath, err);
      });
      s = { snapshotId: chunk.snapshotId, file, partPath, metadata: chunk.metadata, nextSeq: 0 };
      this.streams.set(peer, s);
    }
    if (s === undefined || s.snapshotId !== chunk.snapshotId || s.nextSeq !== chunk.seq) {
      await this.abort(peer);
      throw new Error(`snapshot chunk ${chunk.seq} of ${chunk.snapshotId} out of order`);
    }
    if (!(chunk.data instanceof Uint8Array) || chunk.data.byteLength > CHUNK_BYTES_MAX) {
      await this.abort(peer);
      throw new Error('snapshot chunk is not bytes or too large');
    }
    s.nextSeq++;
    try {
      if (chunk.data.byteLength > 0) {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(chunk.data.byteLength);
        await s.file.write(len);
        await s.file.write(chunk.data);
      }
      if (chunk.last) {
        await s.file.sync();
        await s.file.close();
      }
    } catch (err) {
      // Later chunks would follow a hole: drop the stream (a leftover .part goes on start).
      await this.abort(peer).catch(() => undefined);
      throw new SnapshotStageError(s.partPath, err);
    }
    if (!chunk.last) return null;
    this.streams.delete(peer);
    const finalPath = this.pathFor(indexOf(s.metadata));
    const partPath = s.partPath;
    await this.disk.rename(partPath, finalPath).catch(async (err: unknown) => {
      await this.disk.remove(partPath).catch(() => undefined);
      throw new SnapshotStageError(finalPath, err);
    });
    // The name must survive a power cut too: the Raft log will refer to it. (Should this fail,
    // the complete file is left unreferenced and pruned on start.)
    await this.disk.syncDir(this.dir).catch((err: unknown) => {
      throw new SnapshotStageError(this.dir, err);
    });
    return { metadata: s.metadata, path: finalPath };
  }

  async abort(peer: string): Promise<void> {
    const s = this.streams.get(peer);
    if (s === undefined) return;
    this.streams.delete(peer);
    await s.file.close().catch(() => undefined);
    await this.disk.remove(s.partPath);
  }

  /**
   * Removes staged snapshots for indexes <= `throughIndex` (superseded once the store holds
   * that index), or every staged snapshot when null (at start, after recovery). Newer ones are
   * kept: they may be recorded in the Raft log already and wait for their own install (F3).
   */
  async prune(throughIndex: number | null): Promise<void> {
    let removed = 0;
    for (const f of this.disk.readdir(this.dir)) {
      const index = stagedIndexOf(f);
      if (index === null || (throughIndex !== null && index > throughIndex)) continue;
      await this.disk.remove(path.join(this.dir, f));
      removed++;
    }
    // Durable before the install counts as pruned (snapshot-install.ts).
    if (removed > 0) await this.disk.syncDir(this.dir);
  }

  /** Indexes of the staged files present, ascending. */
  stagedIndexes(): number[] {
    const out: number[] = [];
    for (const f of this.disk.readdir(this.dir)) {
      const index = stagedIndexOf(f);
      if (index !== null) out.push(index);
    }
    return out.sort((a, b) => a - b);
  }

  async closeAll(): Promise<void> {
    for (const peer of [...this.streams.keys()]) await this.abort(peer);
  }
}

/** Reads a staged file back as the chunks it was written from. */
export async function* readStagedChunks(file: string, disk: Disk = nodeDisk): AsyncIterable<Uint8Array> {
  const fh = await disk.open(file, 'read');
  try {
    const len = Buffer.alloc(4);
    for (let at = 0; ; ) {
      const bytesRead = await fh.read(len, 4, at);
      if (bytesRead === 0) return;
      if (bytesRead !== 4) throw new Error(`staged snapshot ${file} is truncated`);
      const n = len.readUInt32BE(0);
      if (n > CHUNK_BYTES_MAX) throw new Error(`staged snapshot ${file} has an oversized chunk`);
      const buf = Buffer.alloc(n);
      const got = await fh.read(buf, n, at + 4);
      if (got !== n) throw new Error(`staged snapshot ${file} is truncated`);
      at += 4 + n;
      yield buf;
    }
  } finally {
    await fh.close();
  }
}

const sanitize = (id: string): string => id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);

/** The index of a staged file name (snap-<index>.snap), or null for anything else. */
function stagedIndexOf(name: string): number | null {
  const m = /^snap-(\d+)\.snap$/.exec(name);
  return m === null ? null : Number(m[1]);
}
