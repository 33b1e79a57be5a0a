// history.jsonl: one JSON object per line. Parsing validates the shape so checkers can trust
// the types; formatting is the exact inverse (one line per entry, '\n'-terminated).

import { HistoryFormatError } from './errors.js';
import type { EntryType, HistoryEntry, Json, NemesisF } from './types.js';
import { NEMESIS_FS, OBSERVATION_FS } from './types.js';

/** Longest line we accept; a bigger one is a recorder bug, not data. */
export const HISTORY_LINE_CHARS_MAX = 16 * 1024 * 1024;

const ENTRY_TYPES: readonly EntryType[] = ['invoke', 'ok', 'fail', 'info'];

export function formatHistoryJsonl(entries: readonly HistoryEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length > 0 ? '\n' : '');
}

export function parseHistoryJsonl(text: string): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    if (line.length > HISTORY_LINE_CHARS_MAX) {
      throw new HistoryFormatError('MalformedHistory', 'line too long', i + 1);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      throw new HistoryFormatError('MalformedHistory', 'not JSON', i + 1);
    }
    out.push(validateEntry(raw, i + 1));
  }
  return out;
}

export function validateEntry(raw: unknown, line: number | null = null): HistoryEntry {
  const fail = (why: string): never => {
    throw new HistoryFormatError('MalformedHistory', why, line);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('entry is not an object');
  const o = raw as Record<string, unknown>;
  const { process, type, f, key, time, index } = o;
  if (typeof process !== 'number' && typeof process !== 'string') return fail('bad process');
  if (typeof type !== 'string' || !ENTRY_TYPES.includes(type as EntryType)) return fail('bad type');
  if (typeof f !== 'string') return fail('bad f');
  if (key !== undefined && typeof key !== 'string') return fail('bad key');
  if (typeof time !== 'number' || !Number.isFinite(time)) return fail('bad time');
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) return fail('bad index');
  if (!('value' in o)) return fail('missing value');
  if (o['client'] !== undefined && typeof o['client'] !== 'number' && typeof o['client'] !== 'string') return fail('bad client');
  if (o['node'] !== undefined && typeof o['node'] !== 'string') return fail('bad node');
  if (o['revision'] !== undefined && (typeof o['revision'] !== 'number' || !Number.isInteger(o['revision']))) return fail('bad revision');
  if ((OBSERVATION_FS as readonly string[]).includes(f) && type !== 'info') return fail(`${f} entries are info`);
  if (process === 'nemesis') {
    if (type !== 'info') return fail('nemesis entries are info');
    if (!NEMESIS_FS.includes(f as NemesisF)) return fail(`unknown nemesis f ${f}`);
  }
  // JSON.parse only yields JSON values, so the cast below is a narrowing of unknown, not a lie.
  return o as unknown as HistoryEntry & { value: Json };
}
