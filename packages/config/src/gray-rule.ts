// Which instances a gray release reaches. Three rule kinds: a label selector (every label
// must match), an explicit list of instance ids or addresses/IPs, or a percentage. The
// percentage uses a stable hash of (namespace, app, instance id) into 10 000 buckets, so an
// instance's bucket never changes: growing the percentage only ever adds instances.
// `effectiveRelease` is the pure function every reader uses: (head, instance) → release.
import { ConfigError } from './errors.js';
import type { AppHead } from './model.js';
import type { AppRef } from './names.js';

export const GRAY_BUCKETS = 10_000;
/** Ids/addresses in one list rule (the head key must stay small: every instance watches it). */
export const GRAY_LIST_MAX = 1000;

export type GrayRule =
  | { readonly kind: 'labels'; readonly labels: Readonly<Record<string, string>> }
  | { readonly kind: 'instances'; readonly ids: readonly string[] }
  | { readonly kind: 'percentage'; readonly percent: number };

/** What a rule is matched against. */
export interface InstanceIdentity {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  /** host:port or host; the host part is matched by 'instances' rules. */
  readonly address: string;
}

export function checkGrayRule(x: unknown): GrayRule {
  const o = x as Record<string, unknown> | null;
  if (typeof o !== 'object' || o === null) throw new ConfigError('InvalidArgument', 'gray rule: not an object');
  if (o['kind'] === 'percentage') {
    const p = o['percent'];
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100 || Math.round(p * 100) !== p * 100) {
      throw new ConfigError('InvalidArgument', `gray percentage must be 0..100 with at most 2 decimals, got ${String(p)}`);
    }
    return { kind: 'percentage', percent: p };
  }
  if (o['kind'] === 'labels') {
    const l = o['labels'];
    if (typeof l !== 'object' || l === null || Object.keys(l).length === 0 || Object.values(l).some((v) => typeof v !== 'string')) {
      throw new ConfigError('InvalidArgument', 'gray labels rule needs at least one label=value');
    }
    return { kind: 'labels', labels: { ...(l as Record<string, string>) } };
  }
  if (o['kind'] === 'instances') {
    const ids = o['ids'];
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > GRAY_LIST_MAX || ids.some((v) => typeof v !== 'string' || v === '')) {
      throw new ConfigError('InvalidArgument', `gray instances rule needs 1..${GRAY_LIST_MAX} ids or addresses`);
    }
    return { kind: 'instances', ids: [...(ids as string[])] };
  }
  throw new ConfigError('InvalidArgument', `unknown gray rule kind ${JSON.stringify(o['kind'])}`);
}

/** FNV-1a (32 bit) over UTF-16 code units: tiny, stable across platforms and versions. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The instance's bucket in [0, GRAY_BUCKETS): in the gray set iff bucket < percent × 100. */
export function grayBucket(app: AppRef, instanceId: string): number {
  return fnv1a32(`${app.namespace}/${app.app}/${instanceId}`) % GRAY_BUCKETS;
}

function hostOf(address: string): string {
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracket !== null) return bracket[1]!;
  const parts = address.split(':');
  return parts.length === 2 ? parts[0]! : address;
}

export function ruleMatches(app: AppRef, rule: GrayRule, inst: InstanceIdentity): boolean {
  switch (rule.kind) {
    case 'percentage':
      return grayBucket(app, inst.id) < Math.round(rule.percent * (GRAY_BUCKETS / 100));
    case 'labels':
      return Object.entries(rule.labels).every(([k, v]) => inst.labels[k] === v);
    case 'instances':
      return rule.ids.some((x) => x === inst.id || (inst.address !== '' && (x === inst.address || x === hostOf(inst.address))));
  }
}

/** The release an instance must run: a pure function of the head (read at one revision) and the instance. */
export function effectiveRelease(app: AppRef, head: AppHead, inst: InstanceIdentity): number {
  if (head.gray !== null && ruleMatches(app, head.gray.rule, inst)) return head.gray.release;
  return head.release;
}

/** Parses CLI rule text: `percent=50`, `labels=zone=a,tier=web`, `ids=i-1,10.0.0.7`. */
export function parseGrayRule(text: string): GrayRule {
  const eq = text.indexOf('=');
  const kind = eq === -1 ? text : text.slice(0, eq);
  const rest = eq === -1 ? '' : text.slice(eq + 1);
  if (kind === 'percent' || kind === 'percentage') return checkGrayRule({ kind: 'percentage', percent: Number(rest.replace(/%$/, '')) });
  if (kind === 'labels') {
    const labels: Record<string, string> = {};
    for (const pair of rest.split(',').filter((p) => p !== '')) {
      const i = pair.indexOf('=');
      if (i <= 0) throw new ConfigError('InvalidArgument', `gray label ${JSON.stringify(pair)}: expected name=value`);
      labels[pair.slice(0, i)] = pair.slice(i + 1);
    }
    return checkGrayRule({ kind: 'labels', labels });
  }
  if (kind === 'ids' || kind === 'instances') return checkGrayRule({ kind: 'instances', ids: rest.split(',').filter((p) => p !== '') });
  throw new ConfigError('InvalidArgument', `gray rule ${JSON.stringify(text)}: use percent=N, labels=k=v[,k=v] or ids=a[,b]`);
}
