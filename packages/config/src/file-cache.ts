// The SDK's snapshot cache as a file (Node only): `<cacheDir>/<namespace>/<app>/<instance>.json`
// holding `{format, checksum, snapshot}` where checksum is the SHA-256 of the snapshot's JSON
// text. Saves write a temp file, fsync it and rename it over the old one, so a crash leaves
// the old or the new snapshot whole. A file that does not parse, has another format, or
// whose checksum does not match is reported through `warn` and ignored.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isValueType } from './value-types.js';
import type { CachedSnapshot, SnapshotCache } from './snapshot-cache.js';

export const CACHE_FORMAT = 1;
/** A cache file larger than this is not read (a release is at most 1 MiB encoded). */
export const CACHE_FILE_BYTES_MAX = 4 * 1024 * 1024;

export function cacheFilePath(cacheDir: string, namespace: string, app: string, instance: string): string {
  return path.join(cacheDir, namespace, app, `${instance}.json`);
}

function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class FileSnapshotCache implements SnapshotCache {
  constructor(readonly file: string) {}

  async load(warn: (message: string) => void): Promise<CachedSnapshot | null> {
    let raw: Buffer;
    try {
      raw = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      warn(`config cache ${this.file} unreadable, ignored: ${(err as Error).message}`);
      return null;
    }
    const bad = (why: string): null => {
      warn(`config cache ${this.file} ignored: ${why}`);
      return null;
    };
    if (raw.length > CACHE_FILE_BYTES_MAX) return bad(`larger than ${CACHE_FILE_BYTES_MAX} bytes`);
    let doc: { format?: unknown; checksum?: unknown; snapshot?: unknown };
    try {
      doc = JSON.parse(raw.toString('utf8')) as typeof doc;
    } catch {
      return bad('not JSON (corrupt)');
    }
    if (typeof doc !== 'object' || doc === null || doc.format !== CACHE_FORMAT || typeof doc.checksum !== 'string' || typeof doc.snapshot !== 'string') {
      return bad('unknown format');
    }
    if (checksum(doc.snapshot) !== doc.checksum) return bad('checksum mismatch (corrupt)');
    const s = JSON.parse(doc.snapshot) as CachedSnapshot;
    if (!isSnapshot(s)) return bad('malformed snapshot');
    return s;
  }

  async save(snapshot: CachedSnapshot): Promise<void> {
    const text = JSON.stringify(snapshot);
    const body = JSON.stringify({ format: CACHE_FORMAT, checksum: checksum(text), snapshot: text });
    await mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}

function isSnapshot(s: unknown): s is CachedSnapshot {
  const o = s as Partial<CachedSnapshot> | null;
  return typeof o === 'object' && o !== null && typeof o.namespace === 'string' && typeof o.app === 'string'
    && Number.isSafeInteger(o.release) && Number.isSafeInteger(o.revision) && typeof o.values === 'object' && o.values !== null
    && Object.values(o.values).every((v) => typeof v === 'object' && v !== null && isValueType(v.type) && typeof v.text === 'string');
}
