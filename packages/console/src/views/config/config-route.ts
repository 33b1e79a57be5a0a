// Which configuration-center page a route names: the console router's decoded parameter after
// #/config/ split on '/' (names cannot hold '/', @kite/config's naming rules). Pure (no Preact)
// so it is unit-tested alone; the hrefs are built by routes.ts with the router's href.
import type { AppRef } from '@kite/config';

export type ConfigRoute =
  | { readonly view: 'apps' }
  | { readonly view: 'app'; readonly ref: AppRef }
  | { readonly view: 'release'; readonly ref: AppRef; readonly release: number }
  | { readonly view: 'not-found' };

/** The route for the view's decoded parameter. */
export function parseConfigRoute(param: string): ConfigRoute {
  if (param === '') return { view: 'apps' };
  const [ns = '', app = '', what, n, ...rest] = param.split('/');
  if (ns === '' || app === '' || rest.length > 0) return { view: 'not-found' };
  const ref = { namespace: ns, app };
  if (what === undefined) return { view: 'app', ref };
  const release = Number(n);
  if (what === 'releases' && Number.isSafeInteger(release) && release > 0 && String(release) === n) return { view: 'release', ref, release };
  return { view: 'not-found' };
}
