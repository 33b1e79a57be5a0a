// Durations as operators write them in flags (etcd's style): "200ms", "5s", "30m", "1h",
// or a combination such as "1h30m". A bare integer means `bareUnit` (etcd reads a bare
// --auto-compaction-retention as hours). Parsing is strict: anything else is refused, never
// guessed, and the result is whole milliseconds.

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+)(ms|s|m|h)/y;
/** Longest duration accepted (about 3 years): a bigger one is a typo, not a retention. */
export const DURATION_MS_MAX = 100_000 * 3_600_000;

/** Milliseconds, or null when `raw` is not a duration. */
export function parseDurationMs(raw: string, bareUnit: 'h' | 'ms'): number | null {
  const text = raw.trim();
  if (/^\d+$/.test(text)) return within(Number(text) * (UNIT_MS[bareUnit] as number));
  if (text === '') return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (m === null) return null;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return within(total);
}

function within(ms: number): number | null {
  return Number.isSafeInteger(ms) && ms <= DURATION_MS_MAX ? ms : null;
}
