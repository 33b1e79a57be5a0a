// Which apps exist, by namespace (environment). An app is any namespace/app with at least one
// key under the configuration center's prefix (@kite/config keeps no app index). Listing skips
// from one app to the next: one `limit: 1, keysOnly` range per app, all at the revision of the
// first, so the cost is one small read per app however many releases, drafts and instance
// records each holds, and the list is one consistent cut.
import { bytesToString, prefixRangeEnd, toBytes, type KiteClient } from '@kite/client/browser';
import { CONFIG_PREFIX, type AppRef } from '@kite/config';

export const APPS_PREFIX = `${CONFIG_PREFIX}apps/`;
/** Apps listed at most (the view says when there are more). */
export const APPS_LISTED_MAX = 500;

/** The app a key of the configuration center belongs to, or null for a key outside any app. */
export function appOfKey(key: string): AppRef | null {
  if (!key.startsWith(APPS_PREFIX)) return null;
  const [namespace, app] = key.slice(APPS_PREFIX.length).split('/');
  return namespace === undefined || app === undefined || namespace === '' || app === '' ? null : { namespace, app };
}

export const appId = (r: AppRef): string => `${r.namespace}/${r.app}`;

export interface AppsListing {
  readonly apps: readonly AppRef[];
  /** More apps exist than APPS_LISTED_MAX. */
  readonly truncated: boolean;
}

export async function listApps(client: KiteClient, limit = APPS_LISTED_MAX): Promise<AppsListing> {
  const end = prefixRangeEnd(toBytes(APPS_PREFIX));
  const apps: AppRef[] = [];
  let from = toBytes(APPS_PREFIX);
  let revision: number | undefined;
  for (;;) {
    const r = await client.get(from, { rangeEnd: end, limit: 1, keysOnly: true, ...(revision !== undefined ? { revision } : {}) });
    revision ??= r.header.revision;
    const kv = r.kvs[0];
    if (kv === undefined) return { apps, truncated: false };
    const ref = appOfKey(bytesToString(kv.key));
    // A key directly under apps/ (not written by @kite/config) is stepped over, not listed.
    if (ref !== null) {
      if (apps.length === limit) return { apps, truncated: true };
      apps.push(ref);
    }
    from = ref !== null ? prefixRangeEnd(toBytes(`${APPS_PREFIX}${appId(ref)}/`)) : new Uint8Array([...kv.key, 0]);
  }
}

/** Apps grouped by namespace, both sorted. */
export function byNamespace(apps: readonly AppRef[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of [...apps].sort((x, y) => appId(x).localeCompare(appId(y)))) {
    const list = out.get(a.namespace) ?? [];
    list.push(a.app);
    out.set(a.namespace, list);
  }
  return out;
}
