// put, get, del and compact: etcdctl's key-value commands.
import type { Command } from 'commander';
import type { SortOrder, SortTarget } from '@kite/protocol';
import { argBytes } from '../bytes.js';
import { withConnFlags, withKvFlags, print, type ConnFlags } from '../context.js';
import { UsageError } from '../errors.js';
import { parseChoice, parseIntFlag } from '../flags.js';
import { parseLeaseId } from '../bytes.js';
import { formatDelete, formatPut, formatRange, json } from '../output/format-kv.js';
import { getPaged } from '../paged-range.js';
import { keyRange } from '../range-select.js';
import { withClient, withKvClient } from '../run.js';
import { readStdin } from '../stdin.js';

interface PutFlags extends ConnFlags {
  lease?: string;
  prevKv?: boolean;
  ignoreValue?: boolean;
  ignoreLease?: boolean;
}

interface GetFlags extends ConnFlags {
  prefix?: boolean;
  fromKey?: boolean;
  rev?: string;
  limit?: string;
  keysOnly?: boolean;
  countOnly?: boolean;
  sortBy?: string;
  order?: string;
  printValueOnly?: boolean;
  consistency?: string;
}

interface DelFlags extends ConnFlags {
  prefix?: boolean;
  fromKey?: boolean;
  prevKv?: boolean;
}

const SORT_TARGETS: Readonly<Record<string, SortTarget>> = {
  KEY: 'key', CREATE: 'createRevision', MODIFY: 'modRevision', VALUE: 'value', VERSION: 'version',
};
const SORT_ORDERS: Readonly<Record<string, SortOrder>> = { ASCEND: 'ascend', DESCEND: 'descend' };

export function parseSort(sortBy: string | undefined, order: string | undefined): { sortTarget?: SortTarget; sortOrder?: SortOrder } {
  const target = sortBy === undefined ? undefined : SORT_TARGETS[parseChoice('--sort-by', sortBy.toUpperCase(), Object.keys(SORT_TARGETS))];
  const ord = order === undefined ? undefined : SORT_ORDERS[parseChoice('--order', order.toUpperCase(), Object.keys(SORT_ORDERS))];
  if (target === undefined && ord === undefined) return {};
  return { sortTarget: target ?? 'key', sortOrder: ord ?? 'ascend' };
}

export function registerKv(program: Command): void {
  withKvFlags(program.command('put')
    .description('put KEY VALUE (VALUE from stdin when omitted)')
    .argument('<key>')
    .argument('[value]')
    .option('--lease <id>', 'attach the key to this lease (hex id)')
    .option('--prev-kv', 'print the previous key-value')
    .option('--ignore-value', 'keep the current value (update the lease only)')
    .option('--ignore-lease', 'keep the current lease'))
    .action(async (key: string, value: string | undefined, f: PutFlags) => withKvClient(f, async (open, ctx) => {
      if (value !== undefined && f.ignoreValue === true) throw new UsageError('give either a VALUE or --ignore-value, not both');
      if (key === '') throw new UsageError('the key must not be empty');
      const k = argBytes('KEY', key, ctx.style);
      const v = argBytes('VALUE', value ?? (f.ignoreValue === true ? '' : await readStdin()), ctx.style);
      const c = await open();
      const r = await c.put(k, v, {
        ...(f.lease !== undefined ? { lease: parseLeaseId('--lease', f.lease) } : {}),
        ...(f.prevKv === true ? { prevKv: true } : {}),
        ...(f.ignoreValue === true ? { ignoreValue: true } : {}),
        ...(f.ignoreLease === true ? { ignoreLease: true } : {}),
      });
      print(formatPut(r, ctx.format, ctx.style));
    }));

  withKvFlags(program.command('get')
    .description('get KEY [RANGE_END]: one key, a range, or a prefix')
    .argument('<key>')
    .argument('[rangeEnd]')
    .option('--prefix', 'every key starting with KEY')
    .option('--from-key', 'every key ≥ KEY')
    .option('--rev <revision>', 'read at this revision (0 = latest)')
    .option('--limit <n>', 'at most n keys (0 = no limit)')
    .option('--keys-only', 'keys without values')
    .option('--count-only', 'only the number of keys')
    .option('--sort-by <target>', 'KEY, CREATE, MODIFY, VALUE or VERSION')
    .option('--order <order>', 'ASCEND or DESCEND')
    .option('--print-value-only', 'values only (simple output)')
    .option('--consistency <l|s>', 'l = linearizable, s = serializable (local member)', 'l'))
    .action(async (key: string, rangeEnd: string | undefined, f: GetFlags) => withKvClient(f, async (open, ctx, state) => {
      const range = keyRange(key, rangeEnd, f, ctx.style);
      const revision = f.rev !== undefined ? parseIntFlag('--rev', f.rev) : 0;
      state.revision = revision;
      const limit = f.limit !== undefined ? parseIntFlag('--limit', f.limit) : 0;
      const consistency = parseChoice('--consistency', f.consistency ?? 'l', ['l', 's']);
      if (f.keysOnly === true && f.printValueOnly === true) throw new UsageError('--keys-only and --print-value-only exclude each other');
      const c = await open();
      const sort = parseSort(f.sortBy, f.order);
      // A range in key order is read in pages pinned to one revision, so it works whatever the
      // member's reply budget; sorted and count-only reads are one request.
      const paged = range.rangeEnd !== undefined && f.countOnly !== true && sort.sortTarget === undefined;
      const r = paged
        ? await getPaged(c, range.key, {
          rangeEnd: range.rangeEnd as Uint8Array,
          ...(revision > 0 ? { revision } : {}),
          ...(limit > 0 ? { limit } : {}),
          ...(f.keysOnly === true ? { keysOnly: true } : {}),
          ...(consistency === 's' ? { serializable: true } : {}),
        })
        : await c.get(range.key, {
          ...(range.rangeEnd !== undefined ? { rangeEnd: range.rangeEnd } : {}),
          ...(revision > 0 ? { revision } : {}),
          ...(limit > 0 ? { limit } : {}),
          ...(f.keysOnly === true ? { keysOnly: true } : {}),
          ...(f.countOnly === true ? { countOnly: true } : {}),
          ...(consistency === 's' ? { serializable: true } : {}),
          ...sort,
        });
      print(formatRange(r, ctx.format, {
        style: ctx.style,
        ...(f.keysOnly === true ? { keysOnly: true } : {}),
        ...(f.printValueOnly === true ? { printValueOnly: true } : {}),
        ...(f.countOnly === true ? { countOnly: true } : {}),
      }));
    }));

  withKvFlags(program.command('del')
    .alias('delete')
    .description('delete KEY [RANGE_END]: one key, a range, or a prefix; prints how many were deleted')
    .argument('<key>')
    .argument('[rangeEnd]')
    .option('--prefix', 'every key starting with KEY')
    .option('--from-key', 'every key ≥ KEY')
    .option('--prev-kv', 'print the deleted key-values'))
    .action(async (key: string, rangeEnd: string | undefined, f: DelFlags) => withKvClient(f, async (open, ctx) => {
      const range = keyRange(key, rangeEnd, f, ctx.style);
      const c = await open();
      const r = await c.delete(range.key, {
        ...(range.rangeEnd !== undefined ? { rangeEnd: range.rangeEnd } : {}),
        ...(f.prevKv === true ? { prevKv: true } : {}),
      });
      print(formatDelete(r, ctx.format, ctx.style));
    }));

  withConnFlags(program.command('compact')
    .description('compact REVISION: discard history older than REVISION')
    .argument('<revision>')
    .option('--physical', 'return only once the compaction is physically applied'))
    .action(async (rev: string, f: ConnFlags & { physical?: boolean }) => withClient(f, async (open, ctx, state) => {
      const revision = parseIntFlag('REVISION', rev, { min: 1 });
      state.revision = revision;
      const c = await open();
      const r = await c.compact(revision, f.physical === true ? { physical: true } : {});
      print(ctx.format === 'json' ? json({ compacted: revision, revision: r.header.revision }) : `compacted revision ${revision}\n`);
    }));
}
