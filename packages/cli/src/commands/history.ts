// history KEY: every retained revision of a key, oldest first, with value diffs; rollback
// KEY --to REV: a txn that restores the value the key had at REV only if the key's
// modRevision is still the one we looked at (or --expect-mod-rev), so a concurrent writer
// is never overwritten silently.
// History comes from a watch replay from the oldest retained revision up to "now" (a get's
// revision): the watch sees every put and delete, across delete/re-create generations, which
// point reads at older revisions cannot. "Up to now" ends at an event at/after now or at a
// progress bookmark at/after now (requested right after the watch is created).
import type { Command } from 'commander';
import type { KiteClient as Client } from '@kite/client';
import { isKiteError, type KeyValue } from '@kite/protocol';
import { argBytes, text } from '../bytes.js';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { CliError, EXIT_ERROR, UsageError } from '../errors.js';
import { parseIntFlag } from '../flags.js';
import { confirmChange } from '../confirm.js';
import { diffLines, formatHistory, type HistoryEntry } from '../history-diff.js';
import { json } from '../output/format-kv.js';
import { withClient } from '../run.js';

/** Most events one history may collect (a very hot key's history is cut, and says so). */
export const HISTORY_EVENTS_MAX = 100_000;
/** Compaction can race the replay; retry from the new compact revision this many times. */
const HISTORY_COMPACT_RETRIES = 3;
/** Bound on waiting for the replay to reach "now". */
const HISTORY_WAIT_MS = 15_000;

export interface KeyHistory {
  readonly entries: HistoryEntry[];
  readonly oldestRevision: number;
  readonly currentRevision: number;
  readonly truncated: boolean;
}

export async function keyHistory(c: Client, key: Uint8Array): Promise<KeyHistory> {
  const now = await c.get(key);
  const currentRevision = now.header.revision;
  let start = 1;
  for (let attempt = 0; attempt <= HISTORY_COMPACT_RETRIES; attempt++) {
    try {
      return await withBaseline(c, key, await replay(c, key, start, currentRevision));
    } catch (err) {
      const compactRevision = isKiteError(err, 'Compacted') ? err.details.compactRevision : undefined;
      if (typeof compactRevision !== 'number' || compactRevision <= start) throw err;
      start = compactRevision;
    }
  }
  throw new CliError('HistoryRace', `history of ${text(key)} kept being compacted while reading it; try again`);
}

/**
 * When the first retained change is not a create, the value before it is still readable at
 * the oldest retained revision: add it as a baseline so the first diff is a real diff.
 */
async function withBaseline(c: Client, key: Uint8Array, h: KeyHistory): Promise<KeyHistory> {
  const first = h.entries[0];
  if (first === undefined || first.version <= 1 || first.revision - 1 < h.oldestRevision) return h;
  try {
    const r = await c.get(key, { revision: first.revision - 1 });
    const kv = r.kvs[0];
    if (kv === undefined) return h;
    return { ...h, entries: [{ ...toEntry('put', kv), baseline: true }, ...h.entries] };
  } catch (err) {
    if (isKiteError(err, 'Compacted')) return h;
    throw err;
  }
}

async function replay(c: Client, key: Uint8Array, start: number, until: number): Promise<KeyHistory> {
  const entries: HistoryEntry[] = [];
  const w = c.watch(key, { startRevision: start });
  const timer = setTimeout(() => void w.cancel(), HISTORY_WAIT_MS);
  let done = until < start;
  let truncated = false;
  try {
    await w.ready;
    await w.requestProgress();
    if (!done) {
      for await (const batch of w) {
        for (const ev of batch.events) {
          if (ev.kv.modRevision > until) {
            done = true;
            break;
          }
          if (entries.length >= HISTORY_EVENTS_MAX) {
            truncated = true;
            done = true;
            break;
          }
          entries.push(toEntry(ev.type, ev.kv));
          if (ev.kv.modRevision >= until) done = true;
        }
        if (done || (batch.progress === true && batch.header.revision >= until)) {
          done = true;
          break;
        }
      }
    }
  } finally {
    clearTimeout(timer);
    w.cancel();
  }
  if (!done) throw new CliError('HistoryTimeout', `reading the history of ${text(key)} did not finish within ${HISTORY_WAIT_MS / 1000} s`);
  return { entries, oldestRevision: start, currentRevision: until, truncated };
}

function toEntry(type: 'put' | 'delete', kv: KeyValue): HistoryEntry {
  return { revision: kv.modRevision, type, value: kv.value, version: kv.version, createRevision: kv.createRevision, lease: kv.lease };
}

export function registerHistory(program: Command): void {
  withConnFlags(program.command('history')
    .description('history KEY: every retained revision of KEY, oldest first, with value diffs')
    .argument('<key>')
    .option('--hex', 'KEY is given as hex'))
    .action(async (key: string, f: ConnFlags) => withClient(f, async (open, ctx) => {
      if (key === '') throw new UsageError('the key must not be empty');
      const k = argBytes('KEY', key, ctx.style);
      const c = await open();
      const h = await keyHistory(c, k);
      const who = await authorsOf(c, k);
      const entries = h.entries.map((e) => (who.has(e.revision) ? { ...e, by: who.get(e.revision) as string } : e));
      print(formatHistory(key, entries, ctx.format, h.oldestRevision));
      if (h.truncated && ctx.format !== 'json') print(`(cut at ${HISTORY_EVENTS_MAX} revisions)\n`);
    }));

  withConnFlags(program.command('rollback')
    .description('rollback KEY --to REV: restore the value KEY had at REV, only if nobody changed KEY since you looked; shows the change and asks first')
    .argument('<key>')
    .requiredOption('--to <revision>', 'the revision whose value to restore')
    .option('--expect-mod-rev <revision>', 'the modRevision you saw (default: the current one, read now)')
    .option('--allow-delete', 'if KEY did not exist at REV, delete it (refused without this flag)')
    .option('-y, --yes', 'do not ask for confirmation (scripts; required when stdin is not a terminal)')
    .option('--hex', 'KEY is given as hex'))
    .action(async (key: string, f: RollbackFlags) => withClient(f, async (open, ctx, state) => {
      const to = parseIntFlag('--to', f.to, { min: 1 });
      state.revision = to;
      const k = argBytes('KEY', key, ctx.style);
      const c = await open();
      const past = await c.get(k, { revision: to });
      const target = past.kvs[0];
      const cur = await c.get(k);
      const curKv = cur.kvs[0];
      const expected = f.expectModRev !== undefined ? parseIntFlag('--expect-mod-rev', f.expectModRev) : curKv?.modRevision ?? 0;
      if (f.expectModRev === undefined && sameValue(curKv, target)) {
        print(ctx.format === 'json' ? json({ key, changed: false, revision: cur.header.revision }) : `${key} already has its value from revision ${to}; nothing to do\n`);
        return;
      }
      if (target === undefined && f.allowDelete !== true) {
        throw new CliError('RollbackWouldDelete', `${key} did not exist at revision ${to}, so restoring that state means deleting it. Nothing was written; pass --allow-delete to delete ${key}.`);
      }
      if (!(await confirmChange(rollbackPlan(key, to, curKv, target), f.yes === true))) {
        process.stderr.write('Not confirmed; nothing was written.\n');
        return EXIT_ERROR;
      }
      const r = await c.txn({
        compare: [{ key: k, target: 'modRevision', result: 'equal', value: expected }],
        success: [target === undefined ? { type: 'deleteRange', key: k } : { type: 'put', key: k, value: target.value }],
        failure: [{ type: 'range', key: k }],
      });
      if (!r.succeeded) {
        const resp = r.responses[0];
        const nowKv = resp !== undefined && resp.type === 'range' ? resp.kvs[0] : undefined;
        process.stderr.write(`Error: ${key} changed since you looked: its modRevision is now ${nowKv?.modRevision ?? '0 (deleted)'}, not ${expected}. Nothing was written; run 'kite history ${key}' and try again.\n`);
        return EXIT_ERROR;
      }
      print(ctx.format === 'json'
        ? json({ key, changed: true, restoredFrom: to, deleted: target === undefined, revision: r.header.revision })
        : target === undefined
          ? `${key} did not exist at revision ${to}; deleted it (revision ${r.header.revision})\n`
          : `${key} restored to its value at revision ${to} (now revision ${r.header.revision})\n`);
      return undefined;
    }));
}

/** Audit pages read for one key's authors at most (the trail is bounded by its retention anyway). */
const AUTHOR_PAGES_MAX = 100;

/**
 * Who made each revision of `key`, from the audit trail (successful writes naming the key):
 * revision -> `user@address` (just the address without a login). Empty when the trail cannot be read (auth on and not root).
 */
export async function authorsOf(c: Client, key: Uint8Array): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  let fromSeq: number | null = 1;
  try {
    for (let page = 0; page < AUTHOR_PAGES_MAX && fromSeq !== null; page++) {
      const r: { records: readonly { revision: number; result: string; user: string | null; address: string }[]; nextSeq: number | null } = await c.request('audit', { key, fromSeq });
      for (const rec of r.records) if (rec.result === 'ok' && rec.revision > 0) out.set(rec.revision, rec.user === null ? rec.address : `${rec.user}@${rec.address}`);
      fromSeq = r.nextSeq;
    }
  } catch (err) {
    if (isKiteError(err, 'PermissionDenied') || isKiteError(err, 'Unauthenticated') || isKiteError(err, 'UnknownOp')) return new Map();
    throw err;
  }
  return out;
}

interface RollbackFlags extends ConnFlags {
  readonly to: string;
  readonly expectModRev?: string;
  readonly allowDelete?: boolean;
  readonly yes?: boolean;
}

/** What the rollback will write, as a person reviews it before saying yes. */
export function rollbackPlan(key: string, to: number, cur: KeyValue | undefined, target: KeyValue | undefined): string {
  const now = cur !== undefined ? `now at modRevision ${cur.modRevision}` : 'now absent';
  if (target === undefined) return `rollback ${key} to revision ${to} (${now}):\n  DELETE ${key} (it did not exist at revision ${to})\n`;
  const diff = diffLines(cur === undefined ? '' : text(cur.value), text(target.value));
  const body = diff === null
    ? [`  value of ${cur?.value.length ?? 0} bytes becomes ${target.value.length} bytes (too large to diff)`]
    : diff.filter((d) => d.op !== ' ').map((d) => `  ${d.op} ${d.line}`);
  return `${[`rollback ${key} to revision ${to} (${now}${cur === undefined ? '; it will be re-created' : ''}):`, ...body].join('\n')}\n`;
}

function sameValue(a: KeyValue | undefined, b: KeyValue | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.value).equals(Buffer.from(b.value));
}
