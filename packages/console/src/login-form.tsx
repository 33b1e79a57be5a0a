// Login when the cluster has auth on: the client logs in with these on every link it opens.
import { useState } from 'preact/hooks';
import { errorText } from './error-text.js';
import { login, type Session } from './session.js';

export function LoginForm(props: { readonly endpoint: string; readonly onSession: (s: Session) => void }) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = (ev: Event): void => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    login(props.endpoint, { user, password }).then(props.onSession, (err: unknown) => {
      setBusy(false);
      setError(errorText(err));
    });
  };

  return (
    <main class="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Log in to Kite</h1>
        <label>User <input name="user" autocomplete="username" required value={user} onInput={(e) => setUser(e.currentTarget.value)} /></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} /></label>
        {error !== null && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>Log in</button>
      </form>
    </main>
  );
}
