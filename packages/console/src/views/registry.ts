// The console's views: one entry per view, in navigation order. The router picks the entry
// whose id is the first path segment of the hash (#/<id>/<param>); a view gets the session and
// the decoded param. New views (configuration center, audit) add an entry here.
import type { JSX } from 'preact';
import type { Session } from '../session.js';
import { ClusterView } from './cluster-view.js';
import { HistoryView } from './history-view.js';
import { KeysView } from './keys-view.js';
import { ConfigView } from './config/config-view.js';
import { AuditView } from './audit/audit-view.js';

export interface ViewProps {
  readonly session: Session;
  /** The decoded remainder of the route (a key, a release id, ...; '' when absent). */
  readonly param: string;
}

export interface ViewDef {
  readonly id: string;
  /** Shown in the navigation (and as the page title). */
  readonly label: string;
  /** Views reached only by links (a key's history) stay out of the navigation. */
  readonly inNav: boolean;
  readonly component: (props: ViewProps) => JSX.Element;
}

export const VIEWS: readonly ViewDef[] = [
  { id: 'cluster', label: 'Cluster', inNav: true, component: ClusterView },
  { id: 'keys', label: 'Keys', inNav: true, component: KeysView },
  { id: 'history', label: 'History', inNav: false, component: HistoryView },
  { id: 'config', label: 'Configuration', inNav: true, component: ConfigView },
  { id: 'audit', label: 'Audit', inNav: true, component: AuditView },
];

export function findView(id: string): ViewDef | undefined {
  return VIEWS.find((v) => v.id === id);
}
