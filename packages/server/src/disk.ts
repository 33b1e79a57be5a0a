// The file operations a member's durable state uses (the WAL, its synced hint, the identity
// marker, staged snapshot files), as one injectable interface. `nodeDisk` is the real file
// system and the default everywhere; the host simulation (test/sim/real-host) passes a
// simulated disk that loses unsynced writes on a crash, tears the last one and flips bytes.
//
// Invariants: what a caller may rely on after a crash is exactly what POSIX gives: bytes written
// to a file are durable once `datasync` on that file returned (or the write went through a
// 'syncWrites' handle); a name created, renamed or removed in a directory is durable once
// `syncDir` on that directory returned. Nothing else is promised.

import { closeSync, constants, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DirLock } from './wal/dir-lock.js';

/** An open file. Positional writes only: the WAL and the staged files know their offsets. */
export interface DiskFile {
  /** Writes all of `data` at `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /**
   * Writes all of `data` at `position`, synchronously (the WAL's synced hint, an inline WAL
   * append); durable on return only on a file opened 'syncWrites'.
   */
  writeSync(data: Uint8Array, position: number): void;
  /** Reads up to `length` bytes at `position` into `buf`; returns how many. */
  read(buf: Uint8Array, length: number, position: number): Promise<number>;
  datasync(): Promise<void>;
  /** The synchronous sync (the identity marker is written synchronously). */
  datasyncSync(): void;
  size(): Promise<number>;
  truncate(lengthBytes: number): Promise<void>;
  close(): Promise<void>;
  /** The synchronous close (the hint file is closed with the writer). */
  closeSync(): void;
}

/**
 * How a file is opened: 'read' (must exist), 'update' (must exist, read and write), 'create'
 * (created or truncated), 'syncWrites' (must exist; every write is durable when it returns:
 * O_DSYNC).
 */
export type OpenMode = 'read' | 'update' | 'create' | 'syncWrites';

export interface Disk {
  open(file: string, mode: OpenMode): Promise<DiskFile>;
  /** The synchronous open (the synced hint and the identity marker are written synchronously). */
  openSync(file: string, mode: 'create'): DiskFile;
  /** The whole file; throws ENOENT (an error with code 'ENOENT') when missing. */
  readFile(file: string): Buffer;
  exists(file: string): boolean;
  readdir(dir: string): string[];
  mkdirp(dir: string): void;
  rename(from: string, to: string): Promise<void>;
  renameSync(from: string, to: string): void;
  /** Removes a file; no error when it is missing. */
  remove(file: string): Promise<void>;
  removeSync(file: string): void;
  /** Makes the names in `dir` (creations, renames, removals) durable. */
  syncDir(dir: string): Promise<void>;
  syncDirSync(dir: string): void;
  /** One process per directory (wal/dir-lock.ts on the real disk). */
  lock(dir: string): { release(): void };
}

class NodeFile implements DiskFile {
  constructor(private readonly fh: FileHandle) {}

  async write(data: Uint8Array, position: number): Promise<void> {
    // A regular file may take a short write before ENOSPC: loop until all is written.
    for (let done = 0; done < data.length; ) {
      const { bytesWritten } = await this.fh.write(data, done, data.length - done, position + done);
      if (bytesWritten <= 0) throw new Error(`a write at offset ${position + done} made no progress`);
      done += bytesWritten;
    }
  }

  writeSync(data: Uint8Array, position: number): void {
    // A regular file may take a short write before ENOSPC: loop until all is written.
    for (let done = 0; done < data.length; ) {
      const n = writeSync(this.fh.fd, data, done, data.length - done, position + done);
      if (n <= 0) throw new Error(`a write at offset ${position + done} made no progress`);
      done += n;
    }
  }

  async read(buf: Uint8Array, length: number, position: number): Promise<number> {
    return (await this.fh.read(buf, 0, length, position)).bytesRead;
  }

  datasync(): Promise<void> {
    return this.fh.datasync();
  }

  datasyncSync(): void {
    fdatasyncSync(this.fh.fd);
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  truncate(lengthBytes: number): Promise<void> {
    return this.fh.truncate(lengthBytes);
  }

  close(): Promise<void> {
    return this.fh.close();
  }

  closeSync(): void {
    closeSync(this.fh.fd);
  }
}

/** A descriptor opened synchronously (no FileHandle): only the synchronous calls are used. */
class NodeSyncFile implements DiskFile {
  constructor(private readonly fd: number) {}

  write(data: Uint8Array, position: number): Promise<void> {
    this.writeSync(data, position);
    return Promise.resolve();
  }

  writeSync(data: Uint8Array, position: number): void {
    for (let done = 0; done < data.length; ) {
      const n = writeSync(this.fd, data, done, data.length - done, position + done);
      if (n <= 0) throw new Error(`a write at offset ${position + done} made no progress`);
      done += n;
    }
  }

  read(): Promise<number> {
    return Promise.reject(new Error('assertion: a file opened for writing is read'));
  }

  datasync(): Promise<void> {
    this.datasyncSync();
    return Promise.resolve();
  }

  datasyncSync(): void {
    fsyncSync(this.fd);
  }

  size(): Promise<number> {
    return Promise.reject(new Error('assertion: size of a synchronously opened file'));
  }

  truncate(): Promise<void> {
    return Promise.reject(new Error('assertion: truncate of a synchronously opened file'));
  }

  close(): Promise<void> {
    this.closeSync();
    return Promise.resolve();
  }

  closeSync(): void {
    closeSync(this.fd);
  }
}

const OPEN_FLAGS: Record<OpenMode, string | number> = {
  read: 'r',
  update: 'r+',
  create: 'w',
  syncWrites: constants.O_RDWR | constants.O_DSYNC,
};

/** The real file system. */
export const nodeDisk: Disk = {
  open: async (file, mode) => new NodeFile(await open(file, OPEN_FLAGS[mode])),
  openSync: (file) => new NodeSyncFile(openSync(file, 'w')),
  readFile: (file) => readFileSync(file),
  exists: (file) => existsSync(file),
  readdir: (dir) => readdirSync(dir),
  mkdirp: (dir) => void mkdirSync(dir, { recursive: true }),
  rename: (from, to) => rename(from, to),
  renameSync: (from, to) => renameSync(from, to),
  remove: (file) => rm(file, { force: true }),
  removeSync: (file) => rmSync(file, { force: true }),
  syncDir: async (dir) => {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  },
  syncDirSync: (dir) => {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  lock: (dir) => DirLock.acquire(dir),
};

/** `file`'s directory (for syncDir after a rename or removal). */
export const dirOf = (file: string): string => path.dirname(file);
