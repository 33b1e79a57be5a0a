// Human output of `kite config` (the -w json output is the records themselves).
import type { AppHead, DiffEntry, GrayRule, InstanceView, ReleaseListing } from '@kite/config';
import { renderTable } from '../output/table.js';

const short = (s: string, max = 60): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s).replace(/\n/g, '\\n');

export function formatDiff(diff: readonly DiffEntry[]): string {
  if (diff.length === 0) return '(no changes)\n';
  return diff.map((d) => {
    if (d.change === 'added') return `+ ${d.key} (${d.after!.type}): ${short(d.after!.text)}\n`;
    if (d.change === 'removed') return `- ${d.key}\n`;
    return `~ ${d.key}: ${short(d.before!.text, 30)} -> ${short(d.after!.text, 30)}${d.before!.type !== d.after!.type ? ` (${d.before!.type} -> ${d.after!.type})` : ''}\n`;
  }).join('');
}

export function formatRule(rule: GrayRule): string {
  switch (rule.kind) {
    case 'percentage': return `percent=${rule.percent}`;
    case 'labels': return `labels=${Object.entries(rule.labels).map(([k, v]) => `${k}=${v}`).join(',')}`;
    case 'instances': return `ids=${rule.ids.join(',')}`;
  }
}

export function formatHead(h: AppHead): string {
  const gray = h.gray === null ? '' : `, gray release ${h.gray.release} to ${formatRule(h.gray.rule)} (by ${h.gray.author})`;
  return `current release ${h.release}${gray}\n`;
}

export function formatReleases(list: readonly ReleaseListing[]): string {
  if (list.length === 0) return '(no releases)\n';
  return list.map((r) => {
    const head = `release ${r.number} [${r.status}] ${r.kind}${r.rollbackOf !== undefined ? ` of ${r.rollbackOf}` : ''} by ${r.author} at ${r.createdAt}: ${r.message}\n`;
    return head + formatDiff(r.diff).split('\n').filter((l) => l !== '').map((l) => `    ${l}\n`).join('');
  }).join('');
}

export function formatInstances(list: readonly InstanceView[]): string {
  return renderTable(
    ['instance', 'address', 'labels', 'runs', 'expected', 'status', 'sdk'],
    list.map((i) => [
      i.id, i.address, Object.entries(i.labels).map(([k, v]) => `${k}=${v}`).join(','),
      i.applied === null ? '-' : `${i.applied.release}${i.applied.stale ? ' (cached)' : ''}`, String(i.expected), i.status, i.sdkVersion,
    ]),
  );
}
