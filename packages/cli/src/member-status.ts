// A member's status and health over its client port's HTTP (GET /status, GET /health), used
// by `cluster up` (waiting for a leader), `cluster status` and `endpoint status|health`.
// The /status JSON is read leniently (a few spellings per field) so the CLI keeps working
// while the server's field names settle; unknown fields are ignored.
import type { ClientTls } from '@kite/client';
import { httpBaseOf } from './flags.js';
import { httpGet } from './http-get.js';

/** How long one status/health request may take before the member counts as unreachable. */
export const STATUS_TIMEOUT_MS = 2_000;

export interface MemberStatus {
  readonly endpoint: string;
  readonly memberId: string;
  readonly name: string;
  readonly leader: string;
  readonly isLeader: boolean;
  readonly isLearner: boolean;
  readonly term: number;
  readonly commit: number;
  readonly applied: number;
  readonly revision: number;
  readonly compactRevision: number;
  readonly dbSizeBytes: number;
  readonly raftLogSize: number;
  readonly version: string;
  readonly raw: Record<string, unknown>;
}

function pick(raw: Record<string, unknown>, names: readonly string[]): unknown {
  for (const n of names) {
    const parts = n.split('.');
    let cur: unknown = raw;
    for (const p of parts) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[p] : undefined;
    if (cur !== undefined && cur !== null) return cur;
  }
  return undefined;
}

function num(raw: Record<string, unknown>, names: readonly string[]): number {
  const v = pick(raw, names);
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) ? Number(v) : 0;
}

function str(raw: Record<string, unknown>, names: readonly string[]): string {
  const v = pick(raw, names);
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' ? String(v) : '';
}

export function normalizeStatus(endpoint: string, raw: Record<string, unknown>): MemberStatus {
  const memberId = str(raw, ['memberId', 'id', 'member.id', 'header.memberId']);
  const leader = str(raw, ['leader', 'leaderId', 'raft.lead', 'lead']);
  const explicitLeader = pick(raw, ['isLeader']);
  const role = str(raw, ['role', 'raft.role', 'state']);
  return {
    endpoint,
    memberId,
    name: str(raw, ['name', 'member.name']),
    leader: leader === '0' ? '' : leader,
    isLeader: typeof explicitLeader === 'boolean' ? explicitLeader : role.toLowerCase() === 'leader' || (leader !== '' && leader === memberId),
    isLearner: pick(raw, ['isLearner', 'learner']) === true || role.toLowerCase() === 'learner',
    term: num(raw, ['term', 'raftTerm', 'raft.term']),
    commit: num(raw, ['commit', 'commitIndex', 'raftIndex', 'raft.commit']),
    applied: num(raw, ['applied', 'appliedIndex', 'raftAppliedIndex', 'raft.applied']),
    revision: num(raw, ['revision', 'header.revision', 'kv.revision']),
    compactRevision: num(raw, ['compactRevision', 'compactedRevision', 'kv.compactRevision']),
    dbSizeBytes: num(raw, ['dbSize', 'dbSizeBytes', 'db.size', 'dbSizeInUse']),
    raftLogSize: num(raw, ['raftLogSize', 'raftLogEntries', 'raft.logSize']),
    version: str(raw, ['version']),
    raw,
  };
}

export async function fetchStatus(endpoint: string, timeoutMs = STATUS_TIMEOUT_MS, tls?: ClientTls): Promise<MemberStatus> {
  const res = await httpGet(`${httpBaseOf(endpoint)}/status`, timeoutMs, tls);
  if (res.status !== 200) throw new Error(`GET /status: HTTP ${res.status}${res.body.trim() === '' ? '' : `: ${res.body.trim().slice(0, 200)}`}`);
  const body: unknown = JSON.parse(res.body);
  if (typeof body !== 'object' || body === null) throw new Error('GET /status: not a JSON object');
  return normalizeStatus(endpoint, body as Record<string, unknown>);
}

export interface HealthResult {
  readonly endpoint: string;
  readonly healthy: boolean;
  readonly tookMs: number;
  readonly detail: string;
}

export async function fetchHealth(endpoint: string, timeoutMs = STATUS_TIMEOUT_MS, tls?: ClientTls): Promise<HealthResult> {
  const started = performance.now();
  try {
    const res = await httpGet(`${httpBaseOf(endpoint)}/health`, timeoutMs, tls);
    const body = res.body.trim();
    const ok = res.status === 200;
    let detail = body;
    try {
      const j = JSON.parse(body) as Record<string, unknown>;
      detail = typeof j['reason'] === 'string' ? j['reason'] : typeof j['error'] === 'string' ? j['error'] : body;
    } catch {
      // a plain-text body is shown as it is
    }
    return { endpoint, healthy: ok, tookMs: performance.now() - started, detail: ok ? '' : detail || `HTTP ${res.status}` };
  } catch (err) {
    return { endpoint, healthy: false, tookMs: performance.now() - started, detail: unreachableReason(err) };
  }
}

/** A short reason for a failed fetch: "connection refused", "timed out after 2000 ms"... */
export function unreachableReason(err: unknown): string {
  const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
  const code = e.cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  return e.cause?.message ?? e.message ?? String(err);
}
