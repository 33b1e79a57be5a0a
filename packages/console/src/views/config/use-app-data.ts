// Hook: one app's live data (AppLoader fed by a watch on the app's prefix), the admin to act
// with, and the last read error (cleared by the next successful read; the data shown stays the
// last good one, so a member going away does not blank the page).
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { KiteClient } from '@kite/client/browser';
import { ConfigAdmin, type AppRef } from '@kite/config';
import { ALL_SECTIONS, AppLoader, sectionsOf, type AppData, type Section } from './app-data.js';
import { errorText } from '../../error-text.js';
import { Coalescer, watchPrefix } from './live.js';

export interface AppDataState {
  readonly admin: ConfigAdmin;
  readonly data: AppData | null;
  readonly error: string | null;
}

export function useAppData(client: KiteClient, ref: AppRef): AppDataState {
  const admin = useMemo(() => new ConfigAdmin(client, ref), [client, ref.namespace, ref.app]);
  const [data, setData] = useState<AppData | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setData(null);
    const loader = new AppLoader(admin);
    const fail = (err: unknown): void => setError(errorText(err));
    const reload = new Coalescer<Section>(async (sections) => {
      const d = await loader.load(sections);
      if (d !== null) setData(d);
      setError(null);
    }, fail);
    const stop = watchPrefix(client, admin.keys.base, {
      onReady: () => reload.request(ALL_SECTIONS),
      onChanged: (changed) => reload.request(sectionsOf(changed, admin.keys)),
      onError: fail,
    });
    return () => {
      stop();
      reload.stop();
    };
  }, [admin]);
  return { admin, data, error };
}
