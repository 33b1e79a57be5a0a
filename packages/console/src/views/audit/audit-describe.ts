// Says in words what an audit record did to the configuration center, from the keys it names
// (@kite/config's layout, keys.ts): a txn writing `releases/<N>` published release N, one
// writing `outcome/<N>` ended gray release N, `draft/<k>` staged an edit. Other keys get no
// description; the record's keys are shown either way.
import { bytesToString, type AuditRecord } from '@kite/client/browser';
import { CONFIG_PREFIX } from '@kite/config';

const APP_KEY = new RegExp(`^${CONFIG_PREFIX.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}apps/([^/]+)/([^/]+)/(.*)$`);

export function describeConfigChange(r: Pick<AuditRecord, 'keys'>): string | null {
  const parts: string[] = [];
  for (const k of r.keys) {
    const m = APP_KEY.exec(bytesToString(k));
    if (m === null) continue;
    const [, ns, app, rest = ''] = m;
    const rel = /^releases\/(\d+)$/.exec(rest);
    const out = /^outcome\/(\d+)$/.exec(rest);
    if (rel !== null) parts.push(`release ${Number(rel[1])} of ${ns}/${app}`);
    else if (out !== null) parts.push(`gray release ${Number(out[1])} of ${ns}/${app} ended`);
    else if (rest.startsWith('draft/') && rest.length > 'draft/'.length) parts.push(`draft edit ${rest.slice('draft/'.length)} of ${ns}/${app}`);
  }
  return parts.length === 0 ? null : parts.join('; ');
}
