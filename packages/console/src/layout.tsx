// The page frame: a skip link, the header (who is connected where), the navigation and the
// current view. Unknown routes show a message with a way back, never a blank page.
import { useEffect } from 'preact/hooks';
import { href, type Route } from './router.js';
import type { Session } from './session.js';
import { findView, VIEWS } from './views/registry.js';

export function Layout(props: { readonly session: Session; readonly route: Route; readonly onLogout: () => void }) {
  const { session, route } = props;
  const view = findView(route.view);
  useEffect(() => {
    document.title = view === undefined ? 'Kite console' : `${view.label} · Kite console`;
  }, [view]);
  const View = view?.component;
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand">Kite</span>
        <span class="muted">{session.endpoint.replace(/\/v1$/, '')}</span>
        {session.user !== null && (
          <span class="user">
            {session.user} <button type="button" class="link" onClick={props.onLogout}>Log out</button>
          </span>
        )}
      </header>
      <nav class="side" aria-label="Views">
        <ul>
          {VIEWS.filter((v) => v.inNav).map((v) => (
            <li key={v.id}>
              <a href={href(v.id)} aria-current={v.id === route.view ? 'page' : undefined}>{v.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {View !== undefined
          ? <View key={route.view} session={session} param={route.param} />
          : <p role="alert">No view “{route.view}”. <a href={href('cluster')}>Go to the cluster view</a>.</p>}
      </main>
    </div>
  );
}
