// endpoint status | health | hashkv: every endpoint's view, as a table by default. status and
// health use the members' HTTP /status and /health (no client session), so they also work on a
// cluster without a leader; hashkv asks each member itself for the hash of its key space (the
// `hash` op, served locally), so replicas can be compared. --cluster asks the members for the
// full member list first.
import type { Command } from 'commander';
import { isKiteError, type HashResult } from '@kite/protocol';
import { humanBytes } from '../bytes.js';
import { contextFrom, openClient, withConnFlags, print, type CommandContext, type ConnFlags } from '../context.js';
import { EXIT_ERROR, EXIT_OK, UsageError } from '../errors.js';
import { fetchHealth, fetchStatus, unreachableReason, type MemberStatus } from '../member-status.js';
import { json } from '../output/format-kv.js';
import { renderTable } from '../output/table.js';
import { plain } from '../run.js';

async function targets(ctx: CommandContext, cluster: boolean): Promise<string[]> {
  if (!cluster) return [...ctx.endpoints];
  const c = await openClient(ctx);
  try {
    const { members } = await c.members.list();
    return [...new Set(members.flatMap((m) => m.clientUrls))];
  } finally {
    c.close();
  }
}

type StatusRow = { endpoint: string; status: MemberStatus | null; error: string };

export function formatStatusRows(rows: readonly StatusRow[], fmt: CommandContext['format']): string {
  if (fmt === 'json') {
    return json(rows.map((r) => r.status === null ? { endpoint: r.endpoint, error: r.error } : {
      endpoint: r.endpoint, id: r.status.memberId, version: r.status.version, dbSize: r.status.dbSizeBytes,
      leader: r.status.leader, isLeader: r.status.isLeader, isLearner: r.status.isLearner, raftTerm: r.status.term,
      raftIndex: r.status.commit, raftAppliedIndex: r.status.applied, revision: r.status.revision,
    }));
  }
  const cells = rows.map((r) => {
    const s = r.status;
    if (s === null) return [r.endpoint, '-', '-', '-', '-', '-', '-', '-', '-', '-', r.error];
    return [r.endpoint, s.memberId, s.version, humanBytes(s.dbSizeBytes), String(s.isLeader), String(s.isLearner),
      String(s.term), String(s.commit), String(s.applied), String(s.revision), ''];
  });
  if (fmt === 'table') {
    return renderTable(['endpoint', 'id', 'version', 'db size', 'is leader', 'is learner', 'raft term', 'raft index', 'raft applied index', 'revision', 'errors'], cells);
  }
  return cells.map((c) => `${c.filter((x) => x !== '').join(', ')}\n`).join('');
}

type HashRow = { endpoint: string; hash: HashResult | null; error: string };

export function formatHashRows(rows: readonly HashRow[], fmt: CommandContext['format']): string {
  if (fmt === 'json') {
    return json(rows.map((r) => r.hash === null ? { endpoint: r.endpoint, error: r.error } : {
      endpoint: r.endpoint, hash: r.hash.hash, hashRevision: r.hash.hashRevision, compactRevision: r.hash.compactRevision,
    }));
  }
  const cells = rows.map((r) => r.hash === null
    ? [r.endpoint, '-', '-', '-', r.error]
    : [r.endpoint, String(r.hash.hash), String(r.hash.hashRevision), String(r.hash.compactRevision), '']);
  if (fmt === 'table') return renderTable(['endpoint', 'hash', 'hash revision', 'compact revision', 'errors'], cells);
  return cells.map((c) => `${c.filter((x) => x !== '').join(', ')}\n`).join('');
}

/** One member's hash at `revision` (0 = its current revision), asked of that member alone. */
async function hashOf(ctx: CommandContext, endpoint: string, revision: number): Promise<HashRow> {
  try {
    const c = await openClient({ ...ctx, endpoints: [endpoint] }, { preferLeader: false });
    try {
      return { endpoint, hash: await c.hash(revision), error: '' };
    } finally {
      c.close();
    }
  } catch (err) {
    // A member's own refusal (e.g. Corrupt) says more than "unreachable".
    return { endpoint, hash: null, error: isKiteError(err) ? `${err.code}: ${err.message}` : unreachableReason(err) };
  }
}

export function registerEndpoint(program: Command): void {
  const endpoint = program.command('endpoint').description('endpoint status | health | hashkv (every endpoint, as a table)');

  withConnFlags(endpoint.command('status').description('each endpoint\'s member id, leader, term, indexes, revision, db size')
    .option('--cluster', 'every member of the cluster, not just --endpoints'), 'table')
    .action(async (f: ConnFlags & { cluster?: boolean }) => plain(async () => {
      const ctx = contextFrom(f);
      const eps = await targets(ctx, f.cluster === true);
      const rows: StatusRow[] = await Promise.all(eps.map(async (endpoint) => {
        try {
          return { endpoint, status: await fetchStatus(endpoint, ctx.commandTimeoutMs, ctx.tls), error: '' };
        } catch (err) {
          return { endpoint, status: null, error: unreachableReason(err) };
        }
      }));
      print(formatStatusRows(rows, ctx.format));
      return rows.every((r) => r.status !== null) ? EXIT_OK : EXIT_ERROR;
    }));

  withConnFlags(endpoint.command('health').description('is each endpoint healthy (has a leader, applying)?')
    .option('--cluster', 'every member of the cluster, not just --endpoints'), 'table')
    .action(async (f: ConnFlags & { cluster?: boolean }) => plain(async () => {
      const ctx = contextFrom(f);
      const eps = await targets(ctx, f.cluster === true);
      const rows = await Promise.all(eps.map((e) => fetchHealth(e, ctx.commandTimeoutMs, ctx.tls)));
      if (ctx.format === 'json') {
        print(json(rows.map((r) => ({ endpoint: r.endpoint, health: r.healthy, took: `${r.tookMs.toFixed(1)}ms`, ...(r.healthy ? {} : { error: r.detail }) }))));
      } else if (ctx.format === 'table') {
        print(renderTable(['endpoint', 'health', 'took', 'error'], rows.map((r) => [r.endpoint, String(r.healthy), `${r.tookMs.toFixed(1)}ms`, r.detail])));
      } else {
        print(rows.map((r) => r.healthy
          ? `${r.endpoint} is healthy: took = ${r.tookMs.toFixed(1)}ms\n`
          : `${r.endpoint} is unhealthy: ${r.detail}\n`).join(''));
      }
      return rows.every((r) => r.healthy) ? EXIT_OK : EXIT_ERROR;
    }));

  withConnFlags(endpoint.command('hashkv').description('each endpoint\'s hash of its key space at a revision (equal on healthy replicas)')
    .option('--rev <revision>', 'hash the key space at this revision (default: each member\'s current one)', '0')
    .option('--cluster', 'every member of the cluster, not just --endpoints'), 'table')
    .action(async (f: ConnFlags & { cluster?: boolean; rev: string }) => plain(async () => {
      const ctx = contextFrom(f);
      const revision = parseRevision(f.rev);
      const eps = await targets(ctx, f.cluster === true);
      const rows = await Promise.all(eps.map((e) => hashOf(ctx, e, revision)));
      print(formatHashRows(rows, ctx.format));
      return rows.every((r) => r.hash !== null) ? EXIT_OK : EXIT_ERROR;
    }));
}

function parseRevision(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new UsageError(`--rev must be a revision (a whole number >= 0), not ${JSON.stringify(text)}`);
  return n;
}
