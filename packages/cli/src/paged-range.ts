// Reads a key range in pages instead of one request, so commands that fan out (get over a
// range, snapshot save --format jsonl) keep working when the range is larger than a member's reply budget.
// Every page after the first is pinned to the first page's revision, so the pages together
// are one consistent read; a page the member refuses as too large (ResponseTooLarge) is asked
// again with half the keys, down to one key (a single key over the budget is an error).
import type { GetOptions, GetResult, KiteClient as Client } from '@kite/client';
import { isKiteError } from '@kite/protocol';

/** Keys asked per page at first; pages shrink (never grow back) on ResponseTooLarge. */
export const PAGE_KEYS = 1000;

/** The key right after `key` in byte order: the next page starts there. */
export function keyAfter(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

export interface PageOptions extends Pick<GetOptions, 'revision' | 'keysOnly' | 'serializable'> {
  readonly rangeEnd: Uint8Array;
  /** Most keys to return over all pages (0/undefined = all). */
  readonly limit?: number;
  readonly pageKeys?: number;
}

/** Yields the pages of [key, rangeEnd) in key order; the first page's header gives the revision. */
export async function* pagedRange(c: Client, key: Uint8Array, o: PageOptions): AsyncGenerator<GetResult> {
  let from = key;
  let pageKeys = o.pageKeys ?? PAGE_KEYS;
  let revision = o.revision ?? 0;
  let left = o.limit !== undefined && o.limit > 0 ? o.limit : Number.POSITIVE_INFINITY;
  for (;;) {
    const ask = Math.min(pageKeys, left);
    let page: GetResult;
    try {
      page = await c.get(from, {
        rangeEnd: o.rangeEnd,
        limit: ask,
        ...(revision > 0 ? { revision } : {}),
        ...(o.keysOnly === true ? { keysOnly: true } : {}),
        ...(o.serializable === true ? { serializable: true } : {}),
      });
    } catch (err) {
      if (!isKiteError(err, 'ResponseTooLarge') || ask <= 1) throw err;
      pageKeys = Math.max(1, Math.floor(ask / 2));
      continue;
    }
    revision = page.header.revision;
    yield page;
    left -= page.kvs.length;
    const last = page.kvs[page.kvs.length - 1];
    if (!page.more || last === undefined || left <= 0) return;
    from = keyAfter(last.key);
  }
}

/**
 * The whole range as one result, read page by page: kvs of every page, `count` of the first
 * (the range's size at the pinned revision), `more` when a limit cut keys off.
 */
export async function getPaged(c: Client, key: Uint8Array, o: PageOptions): Promise<GetResult> {
  let first: GetResult | undefined;
  const kvs: GetResult['kvs'][number][] = [];
  let more = false;
  for await (const page of pagedRange(c, key, o)) {
    first ??= page;
    kvs.push(...page.kvs);
    more = page.more;
  }
  if (first === undefined) throw new Error('assertion: a paged range yields at least one page');
  return { ...first, kvs, more };
}
