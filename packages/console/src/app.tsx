// The app shell: connects (or shows the login form when auth is on), then renders the layout
// with the view the URL names. The session lives as long as the page; logging out closes it.
import { useEffect, useState } from 'preact/hooks';
import { Layout } from './layout.js';
import { LoginForm } from './login-form.js';
import { useRoute } from './router.js';
import { openSession, pageEndpoint, type Session } from './session.js';
import { errorText } from './error-text.js';

type State =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'login' }
  | { readonly kind: 'ready'; readonly session: Session }
  | { readonly kind: 'failed'; readonly message: string };

export function App() {
  const [state, setState] = useState<State>({ kind: 'connecting' });
  const route = useRoute();
  const endpoint = pageEndpoint(new URL(location.href));

  useEffect(() => {
    let live = true;
    openSession(endpoint).then(
      (s) => live && setState('loginNeeded' in s ? { kind: 'login' } : { kind: 'ready', session: s }),
      (err: unknown) => live && setState({ kind: 'failed', message: errorText(err) }),
    );
    return () => {
      live = false;
    };
  }, [endpoint]);

  useEffect(() => {
    if (state.kind !== 'ready') return undefined;
    const client = state.session.client;
    return () => client.close();
  }, [state]);

  switch (state.kind) {
    case 'connecting':
      return <p class="center" role="status">Connecting to {endpoint}…</p>;
    case 'failed':
      return <p class="center error" role="alert">Cannot reach the cluster at {endpoint}: {state.message}</p>;
    case 'login':
      return <LoginForm endpoint={endpoint} onSession={(session) => setState({ kind: 'ready', session })} />;
    case 'ready':
      return <Layout session={state.session} route={route} onLogout={() => setState({ kind: 'login' })} />;
  }
}
