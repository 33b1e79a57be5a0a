// history KEY: every retained revision of a key, oldest first, with value diffs; rollback
// KEY --to REV: a txn that restores the value the key had at REV only if the key's
// modRevision is still the one we looked at (or --expect-mod-rev), so a concurrent writer
// is never overwritten silently. The reading and the guarded txn live in @kite/client
// (recipes/key-history.ts), shared with the web console; this file is the command line.
import type { Command } from 'commander';
import { applyRollback, HISTORY_EVENTS_MAX, keyAuthors, keyHistory, planRollback } from '@kite/client';
import type { KeyValue } from '@kite/protocol';
import { argBytes, text } from '../bytes.js';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { CliError, EXIT_ERROR, UsageError } from '../errors.js';
import { parseIntFlag } from '../flags.js';
import { confirmChange } from '../confirm.js';
import { diffLines, formatHistory } from '../history-diff.js';
import { json } from '../output/format-kv.js';
import { withClient } from '../run.js';

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
      const who = await keyAuthors(c, k);
      const entries = h.entries.map((e) => {
        const author = who.get(e.revision);
        return author !== undefined ? { ...e, by: author.by } : e;
      });
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
      const expectModRevision = f.expectModRev !== undefined ? parseIntFlag('--expect-mod-rev', f.expectModRev) : undefined;
      const plan = await planRollback(c, k, to, expectModRevision === undefined ? {} : { expectModRevision });
      const { current: curKv, target } = plan;
      if (plan.unchanged) {
        print(ctx.format === 'json' ? json({ key, changed: false, revision: plan.revision }) : `${key} already has its value from revision ${to}; nothing to do\n`);
        return;
      }
      if (target === undefined && f.allowDelete !== true) {
        throw new CliError('RollbackWouldDelete', `${key} did not exist at revision ${to}, so restoring that state means deleting it. Nothing was written; pass --allow-delete to delete ${key}.`);
      }
      if (!(await confirmChange(rollbackPlan(key, to, curKv, target), f.yes === true))) {
        process.stderr.write('Not confirmed; nothing was written.\n');
        return EXIT_ERROR;
      }
      const r = await applyRollback(c, plan);
      if (!r.applied) {
        process.stderr.write(`Error: ${key} changed since you looked: its modRevision is now ${r.current?.modRevision ?? '0 (deleted)'}, not ${plan.expectModRevision}. Nothing was written; run 'kite history ${key}' and try again.\n`);
        return EXIT_ERROR;
      }
      print(ctx.format === 'json'
        ? json({ key, changed: true, restoredFrom: to, deleted: r.deleted, revision: r.revision })
        : r.deleted
          ? `${key} did not exist at revision ${to}; deleted it (revision ${r.revision})\n`
          : `${key} restored to its value at revision ${to} (now revision ${r.revision})\n`);
      return undefined;
    }));
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
