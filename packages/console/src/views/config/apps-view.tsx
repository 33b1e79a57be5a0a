// The configuration center's front page: apps grouped by namespace (environments such as
// dev / test / prod are namespaces), live — a key of an app not listed yet (an app created
// anywhere, by the CLI or another console) re-lists — and a form to open a new app: an app
// exists in the store from its first staged value, so "create" validates the names and opens
// the app's page, whose draft editor stages that first value.
import { useEffect, useState } from 'preact/hooks';
import type { KiteClient } from '@kite/client/browser';
import { checkApp } from '@kite/config';
import { appId, appOfKey, APPS_PREFIX, byNamespace, listApps, type AppsListing } from './apps-scan.js';
import { errorText } from '../../error-text.js';
import { Coalescer, watchPrefix } from './live.js';
import { configHref } from './routes.js';

export function AppsView({ client }: { client: KiteClient }) {
  const [listing, setListing] = useState<AppsListing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [ns, setNs] = useState('');
  const [app, setApp] = useState('');
  const [formError, setFormError] = useState('');
  useEffect(() => {
    let known = new Set<string>();
    const fail = (err: unknown): void => setError(errorText(err));
    const reload = new Coalescer<true>(async () => {
      const l = await listApps(client);
      known = new Set(l.apps.map(appId));
      setListing(l);
      setError(null);
    }, fail);
    return watchPrefix(client, APPS_PREFIX, {
      onReady: () => reload.request([true]),
      onChanged: (changed) => {
        const unknownApp = changed === 'all' || [...changed].some((k) => {
          const ref = appOfKey(k);
          return ref !== null && !known.has(appId(ref));
        });
        if (unknownApp) reload.request([true]);
      },
      onError: fail,
    });
  }, [client]);

  const create = (e: Event): void => {
    e.preventDefault();
    try {
      location.hash = configHref(checkApp({ namespace: ns.trim(), app: app.trim() }));
    } catch (err) {
      setFormError(errorText(err));
    }
  };

  return (
    <article aria-labelledby="apps-heading" class="config-apps">
      <h1 id="apps-heading">Configuration</h1>
      {error !== null && <p role="alert" class="error">{error}</p>}
      {listing === null ? <p role="status">Loading apps…</p> : listing.apps.length === 0 ? <p>No app yet.</p> : (
        [...byNamespace(listing.apps)].map(([namespace, apps]) => (
          <section key={namespace} aria-labelledby={`ns-${namespace}`}>
            <h2 id={`ns-${namespace}`}>Namespace {namespace}</h2>
            <ul class="app-list">
              {apps.map((a) => <li key={a}><a href={configHref({ namespace, app: a })}>{a}</a></li>)}
            </ul>
          </section>
        ))
      )}
      {listing?.truncated === true && <p>Only the first {listing.apps.length} apps are listed.</p>}
      <form onSubmit={create} aria-labelledby="new-app-heading" class="new-app">
        <h2 id="new-app-heading">New app</h2>
        <label for="new-app-namespace">Namespace</label>
        <input id="new-app-namespace" value={ns} required autoComplete="off" onInput={(e) => setNs(e.currentTarget.value)} />
        <label for="new-app-name">App</label>
        <input id="new-app-name" value={app} required autoComplete="off" onInput={(e) => setApp(e.currentTarget.value)} />
        <button type="submit">Create app</button>
        <p role="alert" class="field-error">{formError}</p>
      </form>
    </article>
  );
}
