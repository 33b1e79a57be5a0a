// A plain ASCII table, etcdctl's `-w table` look. Cells are single-line text; widths are the
// widest cell per column (display width approximated by code points).

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[]): string =>
    `|${widths.map((w, i) => ` ${pad(oneLine(cells[i] ?? ''), w)} `).join('|')}|`;
  return [rule, line(headers.map((h) => h.toUpperCase())), rule, ...rows.map(line), rule].join('\n') + '\n';
}

function oneLine(s: string): string {
  return s.replace(/\r?\n/g, '\\n');
}

function width(s: string): number {
  return [...oneLine(s)].length;
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - width(s)));
}
