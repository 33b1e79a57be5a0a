// Display formatting shared by the views (sizes, ids, wall-clock times).

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function formatBytes(bytes: number): string {
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${UNITS[u]}`;
}

/** Wall time for display (never used to measure durations). */
export function formatTime(d: Date): string {
  return d.toLocaleTimeString(undefined, { hour12: false });
}
