// Minimal SVG building blocks for the report: linear/log scales, axes with ticks, escaping.
// Output is plain strings (no DOM), so report.html stays one self-contained file.

export const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface Frame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}

export const plotWidth = (f: Frame): number => f.width - f.left - f.right;
export const plotHeight = (f: Frame): number => f.height - f.top - f.bottom;

export type Scale = (v: number) => number;

export function linear(d0: number, d1: number, r0: number, r1: number): Scale {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

export function log10Scale(d0: number, d1: number, r0: number, r1: number): Scale {
  const l0 = Math.log10(Math.max(d0, 1e-3));
  const l1 = Math.log10(Math.max(d1, d0 * 10, 1e-2));
  return (v) => r0 + ((Math.log10(Math.max(v, d0)) - l0) / (l1 - l0)) * (r1 - r0);
}

/** "Nice" tick values covering [lo, hi], about `count` of them. */
export function ticks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toFixed(10)));
  return out;
}

export function xAxis(f: Frame, x: Scale, lo: number, hi: number, label: string): string {
  const y = f.height - f.bottom;
  const parts = [`<line x1="${f.left}" y1="${y}" x2="${f.width - f.right}" y2="${y}" stroke="#444"/>`];
  for (const t of ticks(lo, hi, 10)) {
    const px = x(t).toFixed(1);
    parts.push(`<line x1="${px}" y1="${y}" x2="${px}" y2="${y + 4}" stroke="#444"/>`, `<text x="${px}" y="${y + 16}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<text x="${f.left + plotWidth(f) / 2}" y="${f.height - 4}" text-anchor="middle">${esc(label)}</text>`);
  return parts.join('');
}

export function yAxis(f: Frame, y: Scale, values: readonly number[], label: string): string {
  const parts = [`<line x1="${f.left}" y1="${f.top}" x2="${f.left}" y2="${f.height - f.bottom}" stroke="#444"/>`];
  for (const t of values) {
    const py = y(t).toFixed(1);
    parts.push(
      `<line x1="${f.left - 4}" y1="${py}" x2="${f.width - f.right}" y2="${py}" stroke="#eee"/>`,
      `<text x="${f.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${t}</text>`,
    );
  }
  parts.push(`<text transform="translate(12 ${f.top + plotHeight(f) / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`);
  return parts.join('');
}
