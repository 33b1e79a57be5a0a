// URLs of the configuration-center views (every view and every release has one, so a release
// can be linked from a chat or a ticket): #/config, #/config/<ns>/<app>,
// #/config/<ns>/<app>/releases/<n>, built with the console router's href (the remainder is one
// encoded parameter). Names cannot hold '/' (@kite/config's naming rules), so splitting the
// decoded parameter on '/' gives the segments back.
import type { AppRef } from '@kite/config';
import { href } from '../../router.js';

export type ConfigRoute =
  | { readonly view: 'apps' }
  | { readonly view: 'app'; readonly ref: AppRef }
  | { readonly view: 'release'; readonly ref: AppRef; readonly release: number }
  | { readonly view: 'not-found' };

export function configHref(ref?: AppRef, release?: number): string {
  if (ref === undefined) return href('config');
  return href('config', release === undefined ? `${ref.namespace}/${ref.app}` : `${ref.namespace}/${ref.app}/releases/${release}`);
}

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
