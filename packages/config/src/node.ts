// Node entry of @kite/config: everything the browser-safe core offers, plus the file cache,
// and `config()` taking `cacheDir` (the cache file is per namespace, app and instance id).
import type { RecipeClient } from '@kite/client';
import { cacheFilePath, FileSnapshotCache } from './file-cache.js';
import { ConfigInstance, type ConfigOptions } from './sdk.js';

export * from './index.js';
export { FileSnapshotCache, cacheFilePath, CACHE_FORMAT, CACHE_FILE_BYTES_MAX } from './file-cache.js';

export interface NodeConfigOptions extends ConfigOptions {
  /** Directory for the last applied snapshot (served, flagged stale, when no member answers). */
  readonly cacheDir?: string;
}

/** Starts an instance: resolves once it serves a snapshot (live, or cached and stale). */
export async function config(client: RecipeClient, opts: NodeConfigOptions): Promise<ConfigInstance> {
  const { cacheDir, ...rest } = opts;
  // Without an explicit instance id the cache file is the app's "default" one on this host.
  const cache = cacheDir === undefined ? rest.cache : new FileSnapshotCache(cacheFilePath(cacheDir, opts.namespace, opts.app, opts.instanceId ?? 'default'));
  const inst = new ConfigInstance(client, cache === undefined ? rest : { ...rest, cache });
  await inst.start();
  return inst;
}
