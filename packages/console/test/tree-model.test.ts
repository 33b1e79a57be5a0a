// The key tree's levels: one page of a range becomes folders and keys, the continuation skips
// the rest of the last folder, and watch events update rows in place (marked) without ever
// listing a key past the loaded page.
import { describe, expect, it } from 'vitest';
import type { KeyValue, WatchEvent } from '@kite/protocol';
import { afterRow, ancestorsOf, appendPage, applyEvents, levelFromPage, rowFor } from '../src/keys/tree-model.js';

const enc = new TextEncoder();
const kv = (key: string, modRevision = 1): KeyValue => ({ key: enc.encode(key), value: new Uint8Array(), createRevision: 1, modRevision, version: 1, lease: 0 });
const put = (key: string, rev: number): WatchEvent => ({ type: 'put', kv: kv(key, rev) });
const del = (key: string, rev: number): WatchEvent => ({ type: 'delete', kv: kv(key, rev) });
const names = (rows: readonly { name: string; kind: string }[]): string[] => rows.map((r) => `${r.kind === 'folder' ? 'D' : 'K'}:${r.name}`);

describe('key tree levels', () => {
  it('splits keys on / into folders and keys, one row per folder', () => {
    const level = levelFromPage('/app/', [kv('/app/a'), kv('/app/db/'), kv('/app/db/host'), kv('/app/db/port'), kv('/app/z')], false, 9);
    expect(names(level.rows)).toEqual(['K:a', 'K:db/', 'D:db/', 'K:z']);
    expect(level.nextStart).toBeNull();
    expect(rowFor('/app/', '/app/db/')).toMatchObject({ kind: 'key', name: 'db/' });
    expect(rowFor('', '/x/y')).toMatchObject({ kind: 'folder', name: '/', path: '/' });
    expect(rowFor('/app/', '/other')).toBeNull();
  });

  it('continues after the whole last folder when the page was cut', () => {
    const level = levelFromPage('/p/', [kv('/p/a'), kv('/p/b/1'), kv('/p/b/2')], true, 5);
    expect(level.nextStart).toBe('/p/b0');
    expect(afterRow({ kind: 'key', name: 'a', path: '/p/a', modRevision: 1, version: 1, changed: false })).toBe('/p/a\u0000');
    const next = appendPage(level, [kv('/p/c'), kv('/p/d/1')], false);
    expect(names(next.rows)).toEqual(['K:a', 'D:b/', 'K:c', 'D:d/']);
    expect(next.nextStart).toBeNull();
  });

  it('applies watch events in place, marks them, and ignores keys past the loaded page', () => {
    const level = levelFromPage('/p/', [kv('/p/a'), kv('/p/m')], true, 5);
    expect(level.nextStart).toBe('/p/m\u0000');
    const after = applyEvents(level, [put('/p/a', 6), put('/p/b', 7), put('/p/f/x', 8), put('/p/z', 9), del('/p/m', 10)]);
    expect(names(after.rows)).toEqual(['K:a', 'K:b', 'D:f/']);
    expect(after.rows.every((r) => r.changed)).toBe(true);
    expect(after.rows[0]).toMatchObject({ modRevision: 6 });
    expect(after.revision).toBe(10);
    // The input level is not modified (views compare by identity).
    expect(names(level.rows)).toEqual(['K:a', 'K:m']);
  });

  it('never moves a key back to an older state than a page already showed', () => {
    const level = levelFromPage('/p/', [kv('/p/a', 30)], false, 30);
    const after = applyEvents(level, [put('/p/a', 20), del('/p/a', 25)]);
    expect(after.rows).toEqual(level.rows);
  });

  it('lists the folders above a key', () => {
    expect(ancestorsOf('/a/b/c')).toEqual(['/', '/a/', '/a/b/']);
    expect(ancestorsOf('plain')).toEqual([]);
    expect(ancestorsOf('/a/')).toEqual(['/']);
  });
});
