// Flag parsing and validation shared by every command. Each helper names the flag and what
// is allowed in its message, so `kite get --limit x` says exactly what to type instead.
import { UsageError } from './errors.js';

export const OUTPUT_FORMATS = ['simple', 'json', 'table'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** Key-value commands (get, put, del, txn, watch) also print etcdctl's `-w fields`. */
export const KV_OUTPUT_FORMATS = [...OUTPUT_FORMATS, 'fields'] as const;
export type KvOutputFormat = (typeof KV_OUTPUT_FORMATS)[number];

export const DEFAULT_ENDPOINT = 'ws://127.0.0.1:2379';

/** Largest integer a flag may carry: revisions and counts are safe JS integers on the wire. */
const FLAG_INT_MAX = Number.MAX_SAFE_INTEGER;

export function parseIntFlag(
  flag: string,
  raw: string | number | undefined,
  bounds: { min?: number; max?: number } = {},
): number {
  const min = bounds.min ?? 0;
  const max = bounds.max ?? FLAG_INT_MAX;
  const text = String(raw ?? '').trim();
  const range = max === FLAG_INT_MAX ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  if (!/^-?\d+$/.test(text)) throw new UsageError(`${flag} must be ${range}; got '${String(raw ?? '')}'`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be ${range}; got ${text}`);
  }
  return n;
}

export function parseChoice<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T {
  const hit = allowed.find((a) => a === raw);
  if (hit === undefined) {
    throw new UsageError(`${flag} must be one of ${allowed.join(', ')}; got '${String(raw ?? '')}'`);
  }
  return hit;
}

export function parseOutputFormat(raw: string | undefined): OutputFormat {
  return parseChoice('-w/--write-out', raw ?? 'simple', OUTPUT_FORMATS);
}

export function parseKvOutputFormat(raw: string | undefined): KvOutputFormat {
  return parseChoice('-w/--write-out', raw ?? 'simple', KV_OUTPUT_FORMATS);
}

/**
 * `--endpoints a,b,c` (or KITE_ENDPOINTS). Accepts ws://host:port[/v1], http(s)://host:port
 * (turned into ws/wss) and bare host:port. Returns ws URLs without the /v1 path: the client
 * adds it.
 */
export function parseEndpoints(raw: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const text = raw ?? env['KITE_ENDPOINTS'] ?? DEFAULT_ENDPOINT;
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new UsageError(`--endpoints must list at least one endpoint, like ${DEFAULT_ENDPOINT}`);
  return parts.map(normalizeEndpoint);
}

function normalizeEndpoint(part: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(part) ? part : `ws://${part}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`--endpoints: '${part}' is not an endpoint; use host:port or ws://host:port`);
  }
  const scheme = { 'ws:': 'ws', 'wss:': 'wss', 'http:': 'ws', 'https:': 'wss' }[url.protocol];
  if (scheme === undefined || url.port === '' || url.hostname === '') {
    throw new UsageError(`--endpoints: '${part}' needs a host and a port, like ${DEFAULT_ENDPOINT}`);
  }
  return `${scheme}://${url.host}`;
}

/** The HTTP base URL (for /health, /status) of a ws endpoint. */
export function httpBaseOf(endpoint: string): string {
  return endpoint.replace(/^ws(s?):\/\//, 'http$1://').replace(/\/v1\/?$/, '');
}

/** Durations like `10s`, `500ms`, `2m` or a bare number of seconds. */
export function parseDurationMs(flag: string, raw: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(String(raw ?? '').trim());
  if (m === null) throw new UsageError(`${flag} must be a duration like 500ms, 10s or 2m; got '${String(raw ?? '')}'`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000);
}
