// The one result shape every checker returns, so the runner can merge them into results.json
// and exit non-zero when any is not valid. `unknown` means the checker ran out of its work
// budget (or lacked the data) and could neither prove nor refute the property.

export type Validity = true | false | 'unknown';

export interface Anomaly {
  /** Stable anomaly name, e.g. 'nonlinearizable', 'G1c', 'gap', 'lost-write'. */
  readonly type: string;
  /** One human-readable sentence; the structured fields carry the evidence. */
  readonly message: string;
  readonly [detail: string]: unknown;
}

export interface CheckResult {
  readonly checker: string;
  readonly valid: Validity;
  readonly anomalies: readonly Anomaly[];
  readonly stats: Readonly<Record<string, number>>;
}

/** false beats 'unknown' beats true: one refutation settles it, one gap leaves it open. */
export function combineValidity(vs: readonly Validity[]): Validity {
  if (vs.includes(false)) return false;
  if (vs.includes('unknown')) return 'unknown';
  return true;
}

/** Canonical JSON for comparing recorded values (object key order must not matter). */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

/** Keeps the first `perTypeMax` anomalies of each type, in order; the total is reported apart. */
export function capAnomalies(anomalies: readonly Anomaly[], perTypeMax: number): Anomaly[] {
  const counts = new Map<string, number>();
  return anomalies.filter((a) => {
    const n = counts.get(a.type) ?? 0;
    counts.set(a.type, n + 1);
    return n < perTypeMax;
  });
}
