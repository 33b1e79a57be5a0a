// A key's history as a readable story: each retained revision (oldest first) with a line
// diff of its value against the previous one. The diff is a longest-common-subsequence line
// diff after trimming the common head and tail; past DIFF_CELLS_MAX it reports sizes only,
// so a huge value never costs quadratic memory.
import { putBytesField, text } from './bytes.js';
import type { OutputFormat } from './flags.js';
import { renderTable } from './output/table.js';

export type DiffLine = { readonly op: ' ' | '-' | '+'; readonly line: string };

/** Largest LCS table (cells) a diff may build; beyond it the diff is summarised. */
export const DIFF_CELLS_MAX = 4_000_000;

export function diffLines(before: string, after: string): DiffLine[] | null {
  if (before === after) return [];
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  if ((am.length + 1) * (bm.length + 1) > DIFF_CELLS_MAX) return null;
  const mid = lcsDiff(am, bm);
  return [
    ...a.slice(0, head).map((line) => ({ op: ' ' as const, line })),
    ...mid,
    ...a.slice(a.length - tail).map((line) => ({ op: ' ' as const, line })),
  ];
}

function lcsDiff(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  // len[i*w+j] = LCS length of a[i..] and b[j..]
  const len = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i * w + j] = a[i] === b[j] ? len[(i + 1) * w + j + 1]! + 1 : Math.max(len[(i + 1) * w + j]!, len[i * w + j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', line: a[i]! });
      i++;
      j++;
    } else if (len[(i + 1) * w + j]! >= len[i * w + j + 1]!) {
      out.push({ op: '-', line: a[i++]! });
    } else {
      out.push({ op: '+', line: b[j++]! });
    }
  }
  while (i < n) out.push({ op: '-', line: a[i++]! });
  while (j < m) out.push({ op: '+', line: b[j++]! });
  return out;
}

export interface HistoryEntry {
  readonly revision: number;
  readonly type: 'put' | 'delete';
  /** The value after this revision (empty for a delete). */
  readonly value: Uint8Array;
  readonly version: number;
  readonly createRevision: number;
  readonly lease?: number;
  /** The key's state at the compaction point (its real change is older than the retained history). */
  readonly baseline?: boolean;
  /** Who made the revision, from the audit trail (`user@address`, or the address without a login); absent when unknown. */
  readonly by?: string;
}

/** Unchanged lines kept around each change in simple output. */
const DIFF_CONTEXT_LINES = 2;

function contextOnly(diff: readonly DiffLine[]): string[] {
  const keep = new Array<boolean>(diff.length).fill(false);
  diff.forEach((d, i) => {
    if (d.op === ' ') return;
    for (let k = Math.max(0, i - DIFF_CONTEXT_LINES); k <= Math.min(diff.length - 1, i + DIFF_CONTEXT_LINES); k++) keep[k] = true;
  });
  const out: string[] = [];
  let skipped = false;
  diff.forEach((d, i) => {
    if (keep[i]) {
      out.push(`  ${d.op} ${d.line}`);
      skipped = false;
    } else if (!skipped) {
      out.push('    …');
      skipped = true;
    }
  });
  return out;
}

function describeChange(prev: HistoryEntry | undefined, e: HistoryEntry): { label: string; diff: DiffLine[] | null } {
  if (e.type === 'delete') return { label: 'DELETE', diff: [] };
  const created = e.version === 1;
  const before = prev === undefined || prev.type === 'delete' || created ? '' : text(prev.value);
  const label = created ? 'PUT (created)' : e.baseline === true ? 'VALUE' : 'PUT';
  return { label, diff: diffLines(before, text(e.value)) };
}

export function formatHistory(key: string, entries: readonly HistoryEntry[], fmt: OutputFormat, oldestRevision?: number): string {
  if (fmt === 'json') {
    return `${JSON.stringify({
      key,
      ...(oldestRevision !== undefined ? { oldestRetainedRevision: oldestRevision } : {}),
      revisions: entries.map((e, i) => {
        const out: Record<string, unknown> = { revision: e.revision, type: e.type, version: e.version, createRevision: e.createRevision };
        if (e.baseline === true) out['baseline'] = true;
        if (e.by !== undefined) out['by'] = e.by;
        if (e.type === 'put') putBytesField(out, 'value', e.value);
        const d = describeChange(entries[i - 1], e).diff;
        if (d !== null) out['diff'] = d.filter((x) => x.op !== ' ').map((x) => `${x.op}${x.line}`);
        return out;
      }),
    })}\n`;
  }
  if (fmt === 'table') {
    const who = entries.some((e) => e.by !== undefined);
    return renderTable(['revision', 'event', 'version', 'value', ...(who ? ['by'] : [])], entries.map((e) => [
      String(e.revision), e.type.toUpperCase(), String(e.version), e.type === 'put' ? text(e.value) : '', ...(who ? [e.by ?? ''] : []),
    ]));
  }
  if (entries.length === 0) return `no retained history for ${key}\n`;
  const lines: string[] = [];
  if (oldestRevision !== undefined && oldestRevision > 1) lines.push(`(history before revision ${oldestRevision} was compacted)`);
  entries.forEach((e, i) => {
    const { label, diff } = describeChange(entries[i - 1], e);
    lines.push(`revision ${e.revision}  ${label}${e.type === 'put' ? `  version ${e.version}` : ''}${e.baseline === true ? '  (value at the oldest retained revision)' : ''}${e.by !== undefined ? `  by ${e.by}` : ''}`);
    if (diff === null) {
      lines.push(`  (value too large to diff: now ${e.value.length} bytes)`);
    } else if (e.type === 'put' && diff.length === 0) {
      lines.push('  (same value)');
    } else {
      lines.push(...contextOnly(diff));
    }
  });
  return `${lines.join('\n')}\n`;
}
