// On-disk size of a directory tree (the backend's files, write-ahead logs included): what the
// space quota and the dbSize gauge measure. LevelDB's approximateSize ignores the memtable and
// its log, which is most of a small database.

import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** Directory entries visited at most, so a pathological tree cannot stall housekeeping. */
const ENTRIES_MAX = 100_000;

export async function dirSizeBytes(dir: string): Promise<number> {
  let total = 0;
  let visited = 0;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return; // removed while walking (compaction, snapshot restore)
    }
    for (const e of entries) {
      if (++visited > ENTRIES_MAX) return;
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) total += await stat(p).then((s) => s.size, () => 0);
    }
  };
  await walk(dir);
  return total;
}
