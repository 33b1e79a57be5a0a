// A simulated disk for the real host's durable state (WAL, synced hint, identity marker,
// staged snapshots), implementing packages/server/src/disk.ts in memory with POSIX crash
// semantics:
// - a file's bytes are durable once `datasync` returned (a write through a 'syncWrites'
//   handle is a write plus datasync); unsynced writes and truncations are pending;
// - a name created, renamed or removed is durable once `syncDir` of its directory returned;
//   directories themselves (mkdirp) are durable at once (the member creates them before
//   anything refers to them);
// - crash(): every file falls back to its durable bytes plus a random PREFIX of its pending
//   writes, the first lost one possibly torn (a random prefix of its bytes), and the names
//   fall back to the durable ones: exactly what a power cut may leave;
// - flipByte(): one bit of a durable byte flips (media corruption).
// Each host incarnation sees the disk through `view(owner)`: its asynchronous calls complete as
// simulated events (so a crash can fall between any two of them), and never after it died.

import path from 'node:path';
import type { Disk, DiskFile, OpenMode } from '../../../packages/server/src/disk.js';
import type { SimRng } from '../sim-rng.js';
import type { Owner, SimWorld } from './sim-world.js';

type Pending = { readonly kind: 'write'; readonly position: number; readonly data: Buffer } | { readonly kind: 'truncate'; readonly lengthBytes: number };

class Inode {
  data: Buffer = Buffer.alloc(0) as Buffer;
  durable: Buffer = Buffer.alloc(0);
  pending: Pending[] = [];

  apply(p: Pending): void {
    this.data = applyTo(this.data, p);
    this.pending.push(p);
  }

  sync(): void {
    this.durable = Buffer.from(this.data);
    this.pending = [];
  }
}

function applyTo(buf: Buffer, p: Pending): Buffer {
  if (p.kind === 'truncate') {
    if (p.lengthBytes <= buf.length) return Buffer.from(buf.subarray(0, p.lengthBytes));
    return Buffer.concat([buf, Buffer.alloc(p.lengthBytes - buf.length)]);
  }
  const end = p.position + p.data.length;
  const out = end > buf.length ? Buffer.concat([buf, Buffer.alloc(end - buf.length)]) : Buffer.from(buf);
  p.data.copy(out, p.position);
  return out;
}

function enoent(file: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, '${file}'`), { code: 'ENOENT', path: file });
}

export interface CrashReport {
  readonly writesLost: number;
  readonly torn: boolean;
}

export class SimDisk {
  private names = new Map<string, Inode>();
  private durableNames = new Map<string, Inode>();
  private readonly dirs = new Set<string>();
  private readonly locks = new Set<string>();
  /** Simulated latency of an asynchronous call, in ms (0: completes in the same instant). */
  latencyMs = 0;

  constructor(private readonly world: SimWorld) {}

  /** The disk as one host incarnation sees it; `afterOp` runs after each asynchronous call completes. */
  view(owner: Owner, afterOp?: () => void): Disk {
    return new DiskView(this, owner, this.world, afterOp);
  }

  /** A power cut: unsynced writes lost (a prefix kept, the next possibly torn), names reset. */
  crash(rng: SimRng): CrashReport {
    let writesLost = 0;
    let torn = false;
    const inodes = new Set([...this.names.values(), ...this.durableNames.values()]);
    for (const ino of inodes) {
      if (ino.pending.length === 0) continue;
      const kept = rng.int(ino.pending.length + 1);
      let data: Buffer = Buffer.from(ino.durable);
      for (const p of ino.pending.slice(0, kept)) data = applyTo(data, p);
      const next = ino.pending[kept];
      if (next !== undefined && next.kind === 'write' && next.data.length > 1 && rng.chancePct(50)) {
        data = applyTo(data, { kind: 'write', position: next.position, data: next.data.subarray(0, 1 + rng.int(next.data.length - 1)) });
        torn = true;
      }
      writesLost += ino.pending.length - kept;
      ino.data = data;
      ino.durable = Buffer.from(data);
      ino.pending = [];
    }
    this.names = new Map(this.durableNames);
    this.locks.clear();
    return { writesLost, torn };
  }

  /** Flips one bit of one durable byte of a file under `dir` whose name matches; returns what it hit. */
  flipByte(rng: SimRng, dir: string, match: (name: string) => boolean): string | null {
    const files = [...this.durableNames.keys()].filter((f) => f.startsWith(dir + '/') && match(path.basename(f))).sort();
    if (files.length === 0) return null;
    const file = files[rng.int(files.length)] as string;
    const ino = this.durableNames.get(file) as Inode;
    const used = nonZeroLength(ino.durable);
    if (used === 0) return null;
    const at = rng.int(used);
    const bit = 1 << rng.int(8);
    for (const buf of [ino.durable, ino.data]) if (at < buf.length) buf[at] = (buf[at] as number) ^ bit;
    return `${file}@${at}`;
  }

  // ---- the operations (called by DiskView)

  inode(file: string): Inode {
    const ino = this.names.get(file);
    if (ino === undefined) throw enoent(file);
    return ino;
  }

  openInode(file: string, mode: OpenMode): Inode {
    if (mode !== 'create') return this.inode(file);
    if (!this.dirs.has(path.dirname(file))) throw enoent(file);
    const existing = this.names.get(file);
    if (existing !== undefined) {
      existing.apply({ kind: 'truncate', lengthBytes: 0 });
      return existing;
    }
    const ino = new Inode();
    this.names.set(file, ino);
    return ino;
  }

  readFile(file: string): Buffer {
    return Buffer.from(this.inode(file).data);
  }

  exists(file: string): boolean {
    return this.names.has(file) || this.dirs.has(file);
  }

  readdir(dir: string): string[] {
    if (!this.dirs.has(dir)) throw enoent(dir);
    const out: string[] = [];
    for (const f of this.names.keys()) if (path.dirname(f) === dir) out.push(path.basename(f));
    return out.sort();
  }

  mkdirp(dir: string): void {
    for (let d = dir; !this.dirs.has(d) && d !== path.dirname(d); d = path.dirname(d)) this.dirs.add(d);
  }

  rename(from: string, to: string): void {
    const ino = this.inode(from);
    this.names.delete(from);
    this.names.set(to, ino);
  }

  remove(file: string): void {
    this.names.delete(file);
  }

  syncDir(dir: string): void {
    for (const f of [...this.durableNames.keys()]) if (path.dirname(f) === dir && !this.names.has(f)) this.durableNames.delete(f);
    for (const [f, ino] of this.names) if (path.dirname(f) === dir) this.durableNames.set(f, ino);
  }

  lock(dir: string): { release(): void } {
    if (this.locks.has(dir)) throw new Error(`assertion: ${dir} is locked by a live incarnation`);
    this.locks.add(dir);
    return { release: () => void this.locks.delete(dir) };
  }
}

function nonZeroLength(buf: Buffer): number {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return end;
}

class DiskView implements Disk {
  constructor(
    private readonly disk: SimDisk,
    private readonly owner: Owner,
    private readonly world: SimWorld,
    private readonly afterOp: (() => void) | undefined,
  ) {}

  /** Runs `op` as a simulated event: a crash may fall before it; a dead incarnation's never completes. */
  complete<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.world.at(this.world.nowMs + this.disk.latencyMs, this.owner, () => {
        try {
          resolve(op());
        } catch (err) {
          reject(err as Error);
        }
        this.afterOp?.();
      });
    });
  }

  open(file: string, mode: OpenMode): Promise<DiskFile> {
    return this.complete(() => new SimFile(this, this.disk.openInode(file, mode), mode === 'syncWrites'));
  }

  openSync(file: string, mode: 'create'): DiskFile {
    return new SimFile(this, this.disk.openInode(file, mode), false);
  }

  readFile(file: string): Buffer {
    return this.disk.readFile(file);
  }

  exists(file: string): boolean {
    return this.disk.exists(file);
  }

  readdir(dir: string): string[] {
    return this.disk.readdir(dir);
  }

  mkdirp(dir: string): void {
    this.disk.mkdirp(dir);
  }

  rename(from: string, to: string): Promise<void> {
    return this.complete(() => this.disk.rename(from, to));
  }

  renameSync(from: string, to: string): void {
    this.disk.rename(from, to);
  }

  remove(file: string): Promise<void> {
    return this.complete(() => this.disk.remove(file));
  }

  removeSync(file: string): void {
    this.disk.remove(file);
  }

  syncDir(dir: string): Promise<void> {
    return this.complete(() => this.disk.syncDir(dir));
  }

  syncDirSync(dir: string): void {
    this.disk.syncDir(dir);
  }

  lock(dir: string): { release(): void } {
    return this.disk.lock(dir);
  }
}

class SimFile implements DiskFile {
  constructor(
    private readonly view: DiskView,
    private readonly ino: Inode,
    private readonly syncWrites: boolean,
  ) {}

  write(data: Uint8Array, position: number): Promise<void> {
    const copy = Buffer.from(data);
    return this.view.complete(() => this.writeNow(copy, position));
  }

  writeSync(data: Uint8Array, position: number): void {
    this.writeNow(Buffer.from(data), position);
  }

  private writeNow(data: Buffer, position: number): void {
    this.ino.apply({ kind: 'write', position, data });
    if (this.syncWrites) this.ino.sync();
  }

  read(buf: Uint8Array, length: number, position: number): Promise<number> {
    return this.view.complete(() => {
      const src = this.ino.data.subarray(position, position + length);
      buf.set(src, 0);
      return src.length;
    });
  }

  datasync(): Promise<void> {
    return this.view.complete(() => this.ino.sync());
  }

  datasyncSync(): void {
    this.ino.sync();
  }

  size(): Promise<number> {
    return this.view.complete(() => this.ino.data.length);
  }

  truncate(lengthBytes: number): Promise<void> {
    return this.view.complete(() => this.ino.apply({ kind: 'truncate', lengthBytes }));
  }

  close(): Promise<void> {
    return this.view.complete(() => undefined);
  }

  closeSync(): void {
    // Nothing to release in memory.
  }
}
