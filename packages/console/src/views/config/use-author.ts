// Who the configuration-center views record as the author of a change. With auth on it is the
// logged-in user (the seam @kite/config's Actor names: the server-side identity). With auth off
// it is what the operator typed, kept in sessionStorage so it survives moving between views and
// reloads in this tab (a release made after navigating must not silently fall back to a default).
import { useState } from 'preact/hooks';

const STORAGE_KEY = 'kite.console.config.author';
export const DEFAULT_AUTHOR = 'console';

function stored(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? DEFAULT_AUTHOR;
  } catch {
    return DEFAULT_AUTHOR; // storage disabled: the default, every time
  }
}

export function useAuthor(user: string | null): { readonly author: string; setAuthor(a: string): void } {
  const [typed, setTyped] = useState(stored);
  return {
    author: user ?? typed,
    setAuthor(a) {
      setTyped(a);
      try {
        sessionStorage.setItem(STORAGE_KEY, a);
      } catch {
        // kept for this view only
      }
    },
  };
}
