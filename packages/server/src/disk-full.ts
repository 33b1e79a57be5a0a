// Recognizes "the disk is full" among I/O failures, so the member can say so plainly and exit
// with its own code instead of a generic crash. Node reports ENOSPC (or EDQUOT, a full user
// quota: the same for the member) as an errno error with a path; LevelDB (classic-level) as
// `IO error: <file>: No space left on device` (or `: Disk quota exceeded`).
//
// What the member does with it (kite-server.ts, run-server.ts): a full disk during a run stops
// the member at once (the failed batch is not acknowledged, nothing later is), logging
// `disk full: <path>` and exiting with EXIT_DISK_FULL; free space and start it again, and it
// catches up from the others. A full disk at start gives the same exit code.

/** Exit code of a member stopped by a full disk (distinct from crashes and data dir errors). */
export const EXIT_DISK_FULL = 6;

/** Errors wrapped in `cause` are followed this deep. */
const CAUSE_DEPTH_MAX = 5;
const LEVEL_ENOSPC = /(?:IO error: )?([^\s:][^:]*): (?:No space left on device|Disk quota exceeded)/;

/** The file the disk-full error names (or `fallbackPath`), or null when `err` is no ENOSPC/EDQUOT. */
export function diskFullPath(err: unknown, fallbackPath: string): string | null {
  let e: unknown = err;
  for (let depth = 0; depth < CAUSE_DEPTH_MAX && e !== null && typeof e === 'object'; depth++) {
    const { code, path, message, cause } = e as { code?: unknown; path?: unknown; message?: unknown; cause?: unknown };
    if (code === 'ENOSPC' || code === 'EDQUOT') return typeof path === 'string' ? path : fallbackPath;
    if (typeof message === 'string' && (message.includes('No space left on device') || message.includes('Disk quota exceeded'))) {
      return LEVEL_ENOSPC.exec(message)?.[1]?.trim() ?? fallbackPath;
    }
    e = cause;
  }
  return null;
}
