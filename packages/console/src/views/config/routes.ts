// URLs of the configuration-center views (every view and every release has one, so a release
// can be linked from a chat or a ticket): #/config, #/config/<ns>/<app>,
// #/config/<ns>/<app>/releases/<n>. Names cannot hold '/' (@kite/config's naming rules), but
// are still encoded so no name can change the route's shape.
import type { AppRef } from '@kite/config';

export type ConfigRoute =
  | { readonly view: 'apps' }
  | { readonly view: 'app'; readonly ref: AppRef }
  | { readonly view: 'release'; readonly ref: AppRef; readonly release: number }
  | { readonly view: 'not-found' };

export function configHref(ref?: AppRef, release?: number): string {
  if (ref === undefined) return '#/config';
  const app = `#/config/${encodeURIComponent(ref.namespace)}/${encodeURIComponent(ref.app)}`;
  return release === undefined ? app : `${app}/releases/${release}`;
}

/** The route for the path segments after `config` (already split on '/', not yet decoded). */
export function parseConfigRoute(segments: readonly string[]): ConfigRoute {
  let decoded: string[];
  try {
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return { view: 'not-found' }; // a malformed %-escape
  }
  const [ns, app, what, n, ...rest] = decoded;
  if (ns === undefined || ns === '') return { view: 'apps' };
  if (app === undefined || app === '' || rest.length > 0) return { view: 'not-found' };
  const ref = { namespace: ns, app };
  if (what === undefined) return { view: 'app', ref };
  const release = Number(n);
  if (what === 'releases' && Number.isSafeInteger(release) && release > 0) return { view: 'release', ref, release };
  return { view: 'not-found' };
}
