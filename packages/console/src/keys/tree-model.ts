// One level of the key tree, as a pure value: the rows (sub-folders and keys) found directly
// under a prefix, built from one page of a keys-only range and updated by watch events.
// Keys are split on '/': a row is a folder when the key continues past the next '/' after the
// prefix (its name keeps the '/'), else a key. A level shows only what its page covered: keys
// at or after `nextStart` (the continuation of the range) are not listed, so a watch event
// there is ignored until "load more" reads that part. Rows stay sorted by name (byte order of
// UTF-8 equals code-point order, which is what the sort below compares).
// Only types are imported: this module runs in unit tests without the client.
import type { KeyValue, WatchEvent } from '@kite/client/browser';

export const SEPARATOR = '/';

export interface FolderRow {
  readonly kind: 'folder';
  /** The segment after the parent prefix, ending with '/'. */
  readonly name: string;
  /** The folder's full prefix. */
  readonly path: string;
  /** Something under it changed while the level was open. */
  readonly changed: boolean;
}

export interface KeyRow {
  readonly kind: 'key';
  readonly name: string;
  /** The full key. */
  readonly path: string;
  readonly modRevision: number;
  readonly version: number;
  readonly changed: boolean;
}

export type TreeRow = FolderRow | KeyRow;

export interface Level {
  readonly prefix: string;
  readonly rows: readonly TreeRow[];
  /** Where the next page starts (null: the level is complete). */
  readonly nextStart: string | null;
  /** The store revision the level reflects (its watch continues from revision + 1). */
  readonly revision: number;
}

const decoder = new TextDecoder();

export function keyString(key: Uint8Array): string {
  return decoder.decode(key);
}

/** The row a key makes directly under `prefix` (null when the key is not under it). */
export function rowFor(prefix: string, key: string, kv?: Pick<KeyValue, 'modRevision' | 'version'>): TreeRow | null {
  if (!key.startsWith(prefix) || key.length === prefix.length) return null;
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf(SEPARATOR);
  if (slash >= 0 && slash < rest.length - 1) {
    const name = rest.slice(0, slash + 1);
    return { kind: 'folder', name, path: prefix + name, changed: false };
  }
  // A key ending with '/' (e.g. "/app/") is a key, not a folder: it has no children of its own yet.
  return { kind: 'key', name: rest, path: key, modRevision: kv?.modRevision ?? 0, version: kv?.version ?? 0, changed: false };
}

function compareRows(a: TreeRow, b: TreeRow): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind === b.kind ? 0 : a.kind === 'folder' ? 1 : -1;
}

function sameRow(a: TreeRow, b: TreeRow): boolean {
  return a.kind === b.kind && a.path === b.path;
}

/**
 * A level from one page of a range over `prefix` (keys in order). `more`: the range had more
 * keys than the page; the next page starts after the last row (past the whole last folder).
 */
export function levelFromPage(prefix: string, kvs: readonly KeyValue[], more: boolean, revision: number): Level {
  const rows: TreeRow[] = [];
  for (const kv of kvs) {
    const row = rowFor(prefix, keyString(kv.key), kv);
    if (row === null) continue;
    const last = rows[rows.length - 1];
    if (last !== undefined && sameRow(last, row)) continue;
    rows.push(row);
  }
  const last = rows[rows.length - 1];
  return { prefix, rows, nextStart: more && last !== undefined ? afterRow(last) : null, revision };
}

/** Appends the next page (read from `nextStart`) to a level. */
export function appendPage(level: Level, kvs: readonly KeyValue[], more: boolean): Level {
  const page = levelFromPage(level.prefix, kvs, more, level.revision);
  const rows = [...level.rows];
  for (const r of page.rows) if (!rows.some((x) => sameRow(x, r))) rows.push(r);
  rows.sort(compareRows);
  return { ...level, rows, nextStart: page.nextStart };
}

/** The first key after a row: past every key of a folder, or just past a key. */
export function afterRow(row: TreeRow): string {
  if (row.kind === 'key') return `${row.path}\u0000`;
  // The folder's path ends with '/'; the next code point after it ends the folder's range.
  return `${row.path.slice(0, -1)}${String.fromCharCode(SEPARATOR.charCodeAt(0) + 1)}`;
}

/** Applies watch events (in revision order) to a level; changed rows are marked. */
export function applyEvents(level: Level, events: readonly WatchEvent[]): Level {
  let rows = level.rows.slice();
  let revision = level.revision;
  for (const ev of events) {
    revision = Math.max(revision, ev.kv.modRevision);
    const key = keyString(ev.kv.key);
    if (level.nextStart !== null && key >= level.nextStart) continue;
    const row = rowFor(level.prefix, key, ev.kv);
    if (row === null) continue;
    const at = rows.findIndex((r) => sameRow(r, row));
    // A page read after this event already holds the key's newer state.
    const known = at >= 0 ? rows[at] : undefined;
    if (known?.kind === 'key' && known.modRevision > ev.kv.modRevision) continue;
    if (row.kind === 'folder') {
      // A folder stays listed after a delete under it: whether it is now empty needs a read.
      if (at >= 0) rows[at] = { ...row, changed: true };
      else if (ev.type === 'put') rows.push({ ...row, changed: true });
      continue;
    }
    if (ev.type === 'delete') {
      if (at >= 0) rows.splice(at, 1);
      continue;
    }
    const updated: KeyRow = { ...row, changed: true };
    if (at >= 0) rows[at] = updated;
    else rows.push(updated);
  }
  rows = rows.sort(compareRows);
  return { ...level, rows, revision };
}

/** Clears the changed mark of one row (the user looked at it). */
export function clearChanged(level: Level, path: string): Level {
  const at = level.rows.findIndex((r) => r.path === path && r.changed);
  if (at < 0) return level;
  const rows = level.rows.slice();
  rows[at] = { ...(rows[at] as TreeRow), changed: false };
  return { ...level, rows };
}

/** The folders from the root down to the one holding `key` ("/a/b/c" -> "/", "/a/", "/a/b/"). */
export function ancestorsOf(key: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const slash = key.indexOf(SEPARATOR, from);
    if (slash < 0 || slash === key.length - 1) return out;
    out.push(key.slice(0, slash + 1));
    from = slash + 1;
  }
}
