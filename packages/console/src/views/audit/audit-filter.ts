// The audit view's filters and their URL form: #/audit/<query> where the query is
// user=..&op=..&prefix=..&since=..&until=.. (times as ISO strings), so a filtered view can be
// linked. user, key prefix and since are
// asked of the server (the audit op filters them); op and until are applied here, because the
// op has no such filters.
import { toBytes, type AuditArgs, type AuditRecord } from '@kite/client/browser';

export interface AuditFilter {
  readonly user?: string;
  readonly op?: string;
  readonly prefix?: string;
  /** Wall-clock ms since the epoch (display data: the records' own times). */
  readonly sinceMs?: number;
  readonly untilMs?: number;
}

function time(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? undefined : t;
}

function text(raw: string | null): string | undefined {
  return raw === null || raw === '' ? undefined : raw;
}

export function filterFromQuery(query: string): AuditFilter {
  const p = new URLSearchParams(query);
  const user = text(p.get('user'));
  const op = text(p.get('op'));
  const prefix = text(p.get('prefix'));
  const sinceMs = time(p.get('since'));
  const untilMs = time(p.get('until'));
  return {
    ...(user !== undefined ? { user } : {}), ...(op !== undefined ? { op } : {}), ...(prefix !== undefined ? { prefix } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}), ...(untilMs !== undefined ? { untilMs } : {}),
  };
}

export function filterToQuery(f: AuditFilter): string {
  const p = new URLSearchParams();
  if (f.user !== undefined) p.set('user', f.user);
  if (f.op !== undefined) p.set('op', f.op);
  if (f.prefix !== undefined) p.set('prefix', f.prefix);
  if (f.sinceMs !== undefined) p.set('since', new Date(f.sinceMs).toISOString());
  if (f.untilMs !== undefined) p.set('until', new Date(f.untilMs).toISOString());
  return p.toString();
}

/** The part of the filter the server applies. */
export function serverArgs(f: AuditFilter): AuditArgs {
  return {
    ...(f.user !== undefined ? { user: f.user } : {}),
    ...(f.prefix !== undefined ? { prefix: toBytes(f.prefix) } : {}),
    ...(f.sinceMs !== undefined ? { sinceMs: f.sinceMs } : {}),
  };
}

/** The part applied in the browser. */
export function matchesLocally(r: AuditRecord, f: AuditFilter): boolean {
  if (f.op !== undefined && r.op !== f.op) return false;
  if (f.untilMs !== undefined && r.timeMs > f.untilMs) return false;
  return true;
}
