// Hash routing: every view has a URL (#/cluster, #/keys/<key>, #/history/<key>, ...) so a view
// can be bookmarked, shared and reloaded; the server only ever serves /ui/index.html and its
// assets. A route is a view name and the rest of the path, decoded once (keys may contain
// any character, so they are percent-encoded as one segment).
import { useEffect, useState } from 'preact/hooks';

export interface Route {
  readonly view: string;
  /** The decoded remainder after the view name ('' when absent). */
  readonly param: string;
}

export const DEFAULT_VIEW = 'cluster';

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  if (path === '') return { view: DEFAULT_VIEW, param: '' };
  const slash = path.indexOf('/');
  const view = slash < 0 ? path : path.slice(0, slash);
  const raw = slash < 0 ? '' : path.slice(slash + 1);
  let param: string;
  try {
    param = decodeURIComponent(raw);
  } catch {
    param = raw;
  }
  return { view, param };
}

/** The href of a view (with an optional parameter, e.g. a key). */
export function href(view: string, param = ''): string {
  return param === '' ? `#/${view}` : `#/${view}/${encodeURIComponent(param)}`;
}

export function navigate(view: string, param = ''): void {
  location.hash = href(view, param);
}

export function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseHash(location.hash));
  useEffect(() => {
    const onChange = (): void => setRoute(parseHash(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
