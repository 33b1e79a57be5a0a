// One process at a time per WAL directory. Node has no flock, so the lock is a file created
// with O_EXCL holding the owner's pid and its start time (from /proc, so a pid reused by an
// unrelated process after a crash does not keep the lock). A lock whose owner is gone (a
// kill -9) is taken over. Released on close.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { DataDirError } from '../data-dir-error.js';

const LOCK_FILE = 'LOCK';

/** The start time of `pid` as /proc reports it ('' when unknown). */
function startTimeOf(pid: number): string {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces, so split after ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function alive(pid: number, startTime: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const now = startTimeOf(pid);
  return now === '' || startTime === '' || now === startTime;
}

export class DirLock {
  private constructor(private readonly file: string) {}

  static acquire(dir: string): DirLock {
    const file = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 2; attempt++) {
      let fd: number;
      try {
        fd = openSync(file, 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const [pidText, startTime = ''] = readFileSync(file, 'latin1').trim().split(' ');
        const pid = Number.parseInt(pidText ?? '', 10);
        if (Number.isInteger(pid) && pid > 0 && alive(pid, startTime)) {
          throw new DataDirError('DataDirLocked', `WAL at ${dir} is in use by another process (pid ${pid}, ${file})`);
        }
        unlinkSync(file); // the owner is gone
        continue;
      }
      try {
        writeSync(fd, `${process.pid} ${startTimeOf(process.pid)}\n`);
      } finally {
        closeSync(fd);
      }
      return new DirLock(file);
    }
    throw new DataDirError('DataDirLocked', `WAL at ${dir}: cannot take ${file}`);
  }

  release(): void {
    try {
      unlinkSync(this.file);
    } catch {
      // already gone: nothing to release
    }
  }
}
