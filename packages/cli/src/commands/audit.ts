// kite audit [--prefix P] [--for-key K] [--for-user U] [--since T] [-w json]: the replicated audit
// trail (root only when auth is enabled), oldest first, every page read. --since takes an ISO
// time (2026-01-02T03:04:05Z) or an age (10m, 2h, 7d: records since that long ago).
import type { Command } from 'commander';
import type { AuditRecord, KiteClient } from '@kite/client';
import { argBytes, text } from '../bytes.js';
import { withConnFlags, print, type ConnFlags } from '../context.js';
import { UsageError } from '../errors.js';
import { json } from '../output/format-kv.js';
import { renderTable } from '../output/table.js';
import { withClient } from '../run.js';

/** Records printed at most (pages of 1000 each). */
export const AUDIT_RECORDS_MAX = 1_000_000;
const AGE_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO time or an age like 10m; wall-clock milliseconds (display data, not timing). */
export function parseSince(raw: string, nowMs: number = Date.now()): number {
  const age = /^(\d+)([smhd])$/.exec(raw.trim());
  if (age !== null) return nowMs - Number(age[1]) * (AGE_MS[age[2] as string] ?? 0);
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new UsageError(`--since must be an ISO time (2026-01-02T03:04:05Z) or an age (10m, 2h, 7d); got '${raw}'`);
  return t;
}

function keysText(r: AuditRecord): string {
  const first = r.keys[0];
  if (first === undefined) return '';
  if (r.rangeEnd !== undefined) return `[${text(first)}, ${text(r.rangeEnd)})`;
  return r.keys.map((k) => text(k)).join(',');
}

export function formatAudit(records: readonly AuditRecord[], fmt: 'simple' | 'json' | 'table'): string {
  if (fmt === 'json') {
    return json({
      records: records.map((r) => ({
        seq: r.seq, time: new Date(r.timeMs).toISOString(), user: r.user, address: r.address, via: r.via, op: r.op,
        keys: r.keys.map((k) => text(k)), ...(r.rangeEnd !== undefined ? { rangeEnd: text(r.rangeEnd) } : {}),
        revision: r.revision, result: r.result, ...(r.message !== undefined ? { message: r.message } : {}),
      })),
    });
  }
  const rows = records.map((r) => [String(r.seq), new Date(r.timeMs).toISOString(), r.user ?? '-', r.address, r.op, keysText(r), String(r.revision), r.result]);
  if (fmt === 'table') return renderTable(['seq', 'time', 'user', 'address', 'op', 'key', 'revision', 'result'], rows);
  return rows.map((row) => `${row.join(' ')}\n`).join('');
}

async function readAll(c: KiteClient, query: { prefix?: Uint8Array; key?: Uint8Array; user?: string; sinceMs?: number }): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let fromSeq: number | null = 1;
  while (fromSeq !== null && out.length < AUDIT_RECORDS_MAX) {
    const page: { records: readonly AuditRecord[]; nextSeq: number | null } = await c.request('audit', { ...query, fromSeq });
    out.push(...page.records);
    fromSeq = page.nextSeq;
  }
  return out;
}

interface AuditFlags extends ConnFlags {
  prefix?: string;
  forKey?: string;
  forUser?: string;
  since?: string;
}

export function registerAudit(program: Command): void {
  withConnFlags(program.command('audit')
    .description('the audit trail: who (user, address) did what (op, key, revision, result) and when; root only with auth on')
    .option('--prefix <prefix>', 'only records naming a key with this prefix')
    .option('--for-key <key>', 'only records naming exactly this key (--key is the TLS key file)')
    .option('--for-user <name>', 'only records of this user (--user is the login)')
    .option('--since <time>', 'only records since an ISO time or an age (10m, 2h, 7d)'))
    .action(async (f: AuditFlags) => withClient(f, async (open, ctx) => {
      const query = {
        ...(f.prefix !== undefined ? { prefix: argBytes('--prefix', f.prefix, ctx.style) } : {}),
        ...(f.forKey !== undefined ? { key: argBytes('--for-key', f.forKey, ctx.style) } : {}),
        ...(f.forUser !== undefined ? { user: f.forUser } : {}),
        ...(f.since !== undefined ? { sinceMs: parseSince(f.since) } : {}),
      };
      const c = await open();
      print(formatAudit(await readAll(c, query), ctx.format));
    }));
}
