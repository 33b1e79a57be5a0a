// Entry of the configuration-center views: picks the view for the route segments after
// `config` (routes.ts). An app name that breaks @kite/config's naming rules is answered with
// the rule, not a crash.
import type { KiteClient } from '@kite/client/browser';
import { checkApp } from '@kite/config';
import { AppsView } from './apps-view.js';
import { AppView } from './app-view.js';
import { errorText } from './live.js';
import { ReleaseView } from './release-view.js';
import { configHref, parseConfigRoute } from './routes.js';

export function ConfigView({ client, user, segments, navigate }: { client: KiteClient; user: string | null; segments: readonly string[]; navigate(href: string): void }) {
  const route = parseConfigRoute(segments);
  if (route.view === 'apps') return <AppsView client={client} navigate={navigate} />;
  if (route.view === 'not-found') return <p role="alert">No such configuration page. <a href={configHref()}>All apps</a></p>;
  try {
    checkApp(route.ref);
  } catch (err) {
    return <p role="alert">{errorText(err)} <a href={configHref()}>All apps</a></p>;
  }
  return route.view === 'app'
    ? <AppView key={`${route.ref.namespace}/${route.ref.app}`} client={client} user={user} appRef={route.ref} />
    : <ReleaseView key={`${route.ref.namespace}/${route.ref.app}/${route.release}`} client={client} user={user} appRef={route.ref} release={route.release} />;
}
