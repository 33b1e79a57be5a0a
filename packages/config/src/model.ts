// The records the configuration center stores (as JSON text) and their decoders. Decoding is
// strict: a record written outside this package that does not have the expected shape is a
// CorruptRecord error, never a silently wrong config.
import { bytesToString, toBytes } from '@kite/protocol';
import { ConfigError } from './errors.js';
import { checkGrayRule, type GrayRule } from './gray-rule.js';
import { isValueType, type ConfigValue } from './value-types.js';

/** Every key of an app at one release: key → typed value. */
export type Content = Readonly<Record<string, ConfigValue>>;

export interface DiffEntry {
  readonly key: string;
  readonly change: 'added' | 'removed' | 'changed';
  readonly before?: ConfigValue;
  readonly after?: ConfigValue;
}

export type ReleaseKind = 'release' | 'rollback' | 'gray';

/** Immutable once written: `<app>/releases/<number>`. */
export interface ReleaseRecord {
  readonly number: number;
  readonly kind: ReleaseKind;
  readonly message: string;
  readonly author: string;
  /** Wall-clock time of publication (display only). */
  readonly createdAt: string;
  /** The release it was diffed against (the one all instances ran when it was published; 0 = none). */
  readonly base: number;
  /** For a rollback: the release whose content it republishes. */
  readonly rollbackOf?: number;
  readonly content: Content;
  readonly diff: readonly DiffEntry[];
}

export interface GrayState {
  /** The gray release (already published as an immutable record). */
  readonly release: number;
  readonly rule: GrayRule;
  readonly author: string;
  readonly startedAt: string;
}

/** `<app>/head`: the one key every state change of an app guards on. */
export interface AppHead {
  /** What every instance outside the gray rule runs (0: nothing released yet). */
  readonly release: number;
  /** Highest release number ever allocated (gray releases that were aborted included). */
  readonly last: number;
  readonly gray: GrayState | null;
}

export const EMPTY_HEAD: AppHead = { release: 0, last: 0, gray: null };

/** A staged edit: `<app>/draft/<key>`. */
export type DraftEntry = { readonly op: 'set'; readonly value: ConfigValue } | { readonly op: 'remove' };

export type GrayOutcome = 'promoted' | 'aborted';

/** `<app>/instances/<id>`, attached to the instance's lease. */
export interface InstanceRecord {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly address: string;
  readonly sdkVersion: string;
  readonly startedAt: string;
  /** The snapshot the instance applied last (null until the first one). */
  readonly applied: { readonly release: number; readonly revision: number; readonly stale: boolean; readonly at: string } | null;
}

export function encodeRecord(x: unknown): Uint8Array {
  return toBytes(JSON.stringify(x));
}

function decodeJson(what: string, bytes: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(bytesToString(bytes));
  } catch {
    throw new ConfigError('CorruptRecord', `${what}: not JSON`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError('CorruptRecord', `${what}: not an object`);
  return v as Record<string, unknown>;
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isStr = (x: unknown): x is string => typeof x === 'string';

function checkValue(what: string, x: unknown): ConfigValue {
  const o = x as Partial<ConfigValue> | null;
  if (typeof o !== 'object' || o === null || !isValueType(o.type) || !isStr(o.text)) throw new ConfigError('CorruptRecord', `${what}: bad value`);
  return { type: o.type, text: o.text };
}

function checkContent(what: string, x: unknown): Content {
  if (typeof x !== 'object' || x === null) throw new ConfigError('CorruptRecord', `${what}: bad content`);
  const out: Record<string, ConfigValue> = {};
  for (const [k, v] of Object.entries(x)) out[k] = checkValue(`${what} key ${k}`, v);
  return out;
}

export function decodeHead(bytes: Uint8Array): AppHead {
  const o = decodeJson('head', bytes);
  if (!isCount(o['release']) || !isCount(o['last'])) throw new ConfigError('CorruptRecord', 'head: bad release numbers');
  const g = o['gray'] as Record<string, unknown> | null | undefined;
  let gray: GrayState | null = null;
  if (g !== null && g !== undefined) {
    if (!isCount(g['release']) || !isStr(g['author']) || !isStr(g['startedAt'])) throw new ConfigError('CorruptRecord', 'head: bad gray state');
    gray = { release: g['release'], rule: checkGrayRule(g['rule']), author: g['author'], startedAt: g['startedAt'] };
  }
  return { release: o['release'], last: o['last'], gray };
}

export function decodeRelease(bytes: Uint8Array): ReleaseRecord {
  const o = decodeJson('release', bytes);
  const kind = o['kind'];
  if (!isCount(o['number']) || !isCount(o['base']) || !isStr(o['message']) || !isStr(o['author']) || !isStr(o['createdAt'])
    || (kind !== 'release' && kind !== 'rollback' && kind !== 'gray') || !Array.isArray(o['diff'])) {
    throw new ConfigError('CorruptRecord', 'release: bad fields');
  }
  const what = `release ${o['number']}`;
  const diff = (o['diff'] as unknown[]).map((d): DiffEntry => {
    const e = d as Record<string, unknown>;
    const change = e['change'];
    if (!isStr(e['key']) || (change !== 'added' && change !== 'removed' && change !== 'changed')) throw new ConfigError('CorruptRecord', `${what}: bad diff`);
    return {
      key: e['key'], change,
      ...(e['before'] !== undefined ? { before: checkValue(what, e['before']) } : {}),
      ...(e['after'] !== undefined ? { after: checkValue(what, e['after']) } : {}),
    };
  });
  return {
    number: o['number'], kind, message: o['message'], author: o['author'], createdAt: o['createdAt'], base: o['base'],
    ...(isCount(o['rollbackOf']) ? { rollbackOf: o['rollbackOf'] } : {}),
    content: checkContent(what, o['content']), diff,
  };
}

export function decodeDraft(key: string, bytes: Uint8Array): DraftEntry {
  const o = decodeJson(`draft ${key}`, bytes);
  if (o['op'] === 'remove') return { op: 'remove' };
  if (o['op'] === 'set') return { op: 'set', value: checkValue(`draft ${key}`, o['value']) };
  throw new ConfigError('CorruptRecord', `draft ${key}: bad op`);
}

export function decodeInstance(bytes: Uint8Array): InstanceRecord {
  const o = decodeJson('instance', bytes);
  if (!isStr(o['id']) || !isStr(o['address']) || !isStr(o['sdkVersion']) || !isStr(o['startedAt'])) throw new ConfigError('CorruptRecord', 'instance: bad fields');
  const labels = o['labels'] as Record<string, unknown> | undefined;
  const l: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels ?? {})) if (isStr(v)) l[k] = v;
  const a = o['applied'] as Record<string, unknown> | null | undefined;
  const applied = a !== null && a !== undefined && isCount(a['release']) && isCount(a['revision'])
    ? { release: a['release'], revision: a['revision'], stale: a['stale'] === true, at: isStr(a['at']) ? a['at'] : '' }
    : null;
  return { id: o['id'], labels: l, address: o['address'], sdkVersion: o['sdkVersion'], startedAt: o['startedAt'], applied };
}

/** What changes from `before` to `after`, by key, in key order. */
export function diffContent(before: Content, after: Content): DiffEntry[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: DiffEntry[] = [];
  for (const key of keys) {
    const b = before[key];
    const a = after[key];
    if (b === undefined && a !== undefined) out.push({ key, change: 'added', after: a });
    else if (b !== undefined && a === undefined) out.push({ key, change: 'removed', before: b });
    else if (b !== undefined && a !== undefined && (b.type !== a.type || b.text !== a.text)) out.push({ key, change: 'changed', before: b, after: a });
  }
  return out;
}

/** `base` with the staged edits applied. */
export function applyDraft(base: Content, drafts: ReadonlyMap<string, DraftEntry>): Content {
  const out: Record<string, ConfigValue> = { ...base };
  for (const [key, d] of drafts) {
    if (d.op === 'set') out[key] = d.value;
    else delete out[key];
  }
  return out;
}
