// URLs of the configuration-center views (every view and every release has one, so a release
// can be linked from a chat or a ticket): #/config, #/config/<ns>/<app>,
// #/config/<ns>/<app>/releases/<n>, built with the console router's href (the remainder is one
// encoded parameter); config-route.ts reads them back.
import type { AppRef } from '@kite/config';
import { href } from '../../router.js';

export function configHref(ref?: AppRef, release?: number): string {
  if (ref === undefined) return href('config');
  return href('config', release === undefined ? `${ref.namespace}/${ref.app}` : `${ref.namespace}/${ref.app}/releases/${release}`);
}
