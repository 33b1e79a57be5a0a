// Entry of the configuration-center views: picks the view for the route segments after
// `config` (routes.ts). An app name that breaks @kite/config's naming rules is answered with
// the rule, not a crash.
import type { ViewProps } from '../registry.js';
import { checkApp } from '@kite/config';
import './config.css';
import { AppsView } from './apps-view.js';
import { AppView } from './app-view.js';
import { errorText } from '../../error-text.js';
import { ReleaseView } from './release-view.js';
import { parseConfigRoute } from './config-route.js';
import { configHref } from './routes.js';

export function ConfigView({ session, param }: ViewProps) {
  const { client, user } = session;
  const route = parseConfigRoute(param);
  if (route.view === 'apps') return <AppsView client={client} />;
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
