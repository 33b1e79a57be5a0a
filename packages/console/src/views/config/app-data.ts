// One app's data for the console, read through @kite/config's admin API and kept live: a
// changed key under the app's prefix maps to the sections it affects, and only those are read
// again (an instance report re-reads the instances, not every release record). Release
// contents are cached by number: release records are immutable.
import type { AppKeys, AppState, ConfigAdmin, Content, InstanceView, ReleaseListing, AppHead } from '@kite/config';
import type { Changed } from './live.js';

export type Section = 'state' | 'releases' | 'instances';
export const ALL_SECTIONS: readonly Section[] = ['state', 'releases', 'instances'];

export interface AppData {
  readonly state: AppState;
  /** Content of state.head.release (what instances outside a gray run). */
  readonly current: Content;
  readonly releases: readonly ReleaseListing[];
  readonly instances: { readonly revision: number; readonly head: AppHead; readonly instances: readonly InstanceView[] };
}

/** The sections a set of changed keys (full store keys) makes stale. */
export function sectionsOf(changed: Changed, keys: AppKeys): Set<Section> {
  if (changed === 'all') return new Set(ALL_SECTIONS);
  const out = new Set<Section>();
  for (const key of changed) {
    const rel = key.startsWith(keys.base) ? key.slice(keys.base.length) : '';
    // The head is the app's whole state: releases' status and every instance's expected release change with it.
    if (rel === 'head') return new Set(ALL_SECTIONS);
    if (rel === 'draft-seq' || rel.startsWith('draft/')) out.add('state');
    else if (rel.startsWith('releases/') || rel.startsWith('outcome/')) out.add('releases');
    else if (rel.startsWith('instances/')) out.add('instances');
  }
  return out;
}

export class AppLoader {
  private readonly contents = new Map<number, Content>();
  private data: Partial<AppData> = {};

  constructor(private readonly admin: ConfigAdmin) {}

  /** Re-reads `sections`; returns the whole data once every section has been read at least once. */
  async load(sections: ReadonlySet<Section>): Promise<AppData | null> {
    const [state, releases, instances] = await Promise.all([
      sections.has('state') ? this.admin.state() : undefined,
      sections.has('releases') ? this.admin.releases() : undefined,
      sections.has('instances') ? this.admin.instances() : undefined,
    ]);
    if (releases !== undefined) for (const r of releases) this.contents.set(r.number, r.content);
    const next: Partial<AppData> = {
      ...this.data,
      ...(state !== undefined ? { state, current: await this.contentOf(state.head.release) } : {}),
      ...(releases !== undefined ? { releases } : {}),
      ...(instances !== undefined ? { instances } : {}),
    };
    this.data = next;
    const { state: s, current, releases: r, instances: i } = next;
    return s !== undefined && current !== undefined && r !== undefined && i !== undefined ? { state: s, current, releases: r, instances: i } : null;
  }

  private async contentOf(n: number): Promise<Content> {
    const cached = this.contents.get(n);
    if (cached !== undefined) return cached;
    const c = await this.admin.contentOf(n);
    this.contents.set(n, c);
    return c;
  }
}
