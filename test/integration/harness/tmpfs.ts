// A small tmpfs mounted over a member's data dir, so a test can fill that member's disk
// without touching the machine's. Needs root and mount(8): when mounting is impossible the
// test fails with a message saying so (never skips). Every mount/umount call is bounded.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Bound on each mount/umount call. */
const MOUNT_TIMEOUT_MS = 10_000;
/** Filler writes: big chunks first, then pages, so the filesystem ends with no free page. */
const FILL_CHUNK_BYTES = [1024 * 1024, 4096] as const;
/** Upper bound on filler writes (a 1 GiB tmpfs at the smallest chunk would be far fewer). */
const FILL_WRITES_MAX = 100_000;

export class Tmpfs {
  private mounted = true;

  private constructor(readonly dir: string) {}

  /** Mounts a tmpfs of `sizeMiB` at `dir` (created if missing). */
  static mount(dir: string, sizeMiB: number): Tmpfs {
    mkdirSync(dir, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { timeout: MOUNT_TIMEOUT_MS, stdio: 'pipe' });
    } catch (err) {
      const detail = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
      throw new Error(`this test needs a small tmpfs (mount -t tmpfs, as root) at ${dir} and cannot mount one: ${detail}`);
    }
    return new Tmpfs(dir);
  }

  freeBytes(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Fills the filesystem with `name` until a write fails with ENOSPC; returns bytes written. */
  fill(name = 'filler'): number {
    const fd = openSync(path.join(this.dir, name), 'a');
    let written = 0;
    let writes = 0;
    try {
      for (const size of FILL_CHUNK_BYTES) {
        const chunk = Buffer.alloc(size, 0x5a);
        for (;;) {
          if (++writes > FILL_WRITES_MAX) throw new Error(`filling ${this.dir} took more than ${FILL_WRITES_MAX} writes`);
          try {
            written += writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return written;
  }

  removeFiller(name = 'filler'): void {
    rmSync(path.join(this.dir, name), { force: true });
  }

  /** Unmounts (lazily if busy); safe to call twice. Processes using it must be stopped first. */
  unmount(): void {
    if (!this.mounted) return;
    this.mounted = false;
    try {
      execFileSync('umount', [this.dir], { timeout: MOUNT_TIMEOUT_MS, stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', this.dir], { timeout: MOUNT_TIMEOUT_MS, stdio: 'pipe' });
    }
  }
}
