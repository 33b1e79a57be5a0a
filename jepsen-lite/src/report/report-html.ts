// report.html: one self-contained page (inline SVG and CSS, no scripts or external assets):
// the verdict, each checker's result with its anomalies and failing window, latency over
// time (a point per operation: shape = operation, colour = ok/fail/info), throughput over
// time, with fault windows shaded and the phases drawn as a band above the plots.

import type { CheckResult, Validity } from '../checkers/index.js';
import { pairOperations, type HistoryEntry, type NemesisEntry, type Operation } from '../history/index.js';
import type { RunEvent } from '../nemesis/types.js';
import type { RunOptions } from '../run/options.js';
import type { PhaseRecord } from '../run/runner.js';
import { esc, linear, log10Scale, plotHeight, plotWidth, ticks, xAxis, yAxis, type Frame, type Scale } from './svg.js';
import { maxOf } from '../util/max.js';
import { spanRates, type SpanRate } from './rates.js';
import { isCompareFalse } from '../checkers/linearizability/register-model.js';

/** A conditional op that was served and said its condition did not hold (a cas, a fenced write). */
const answeredFalse = (op: Operation): boolean => isCompareFalse(op) || (op.f === 'fenced-write' && op.type === 'ok' && op.value === false);

/** Points drawn in the latency plot; larger histories are sampled evenly. */
export const LATENCY_POINTS_MAX = 20_000;
/** Anomalies listed per checker. */
const ANOMALIES_SHOWN_MAX = 10;
const NS_PER_S = 1e9;

export interface ReportInputs {
  readonly title: string;
  readonly entries: readonly HistoryEntry[];
  readonly phases: readonly PhaseRecord[];
  readonly events: readonly RunEvent[];
  readonly results: readonly CheckResult[];
  readonly valid: Validity;
  readonly error: string | null;
  readonly options: RunOptions;
}

export interface FaultWindow {
  readonly label: string;
  readonly startNs: number;
  readonly endNs: number;
}

const PAIRS: Readonly<Record<string, string>> = {
  'start-partition': 'stop-partition', 'start-delay': 'stop-delay', 'start-clock': 'stop-clock', kill: 'restart', pause: 'resume', 'remove-member': 'add-member',
};

/** Pairs fault starts with their ends (an unended fault lasts until `endNs`). */
export function faultWindows(nemesis: readonly NemesisEntry[], endNs: number): FaultWindow[] {
  const out: FaultWindow[] = [];
  const open: { f: string; label: string; startNs: number }[] = [];
  for (const e of nemesis) {
    const v = (e.value ?? {}) as Record<string, unknown>;
    const label = typeof v['kind'] === 'string' ? v['kind'] : e.f;
    if (e.f in PAIRS) {
      open.push({ f: e.f, label: `${label}${Array.isArray(v['nodes']) ? ` ${(v['nodes'] as string[]).join(',')}` : typeof v['node'] === 'string' ? ` ${v['node']}` : ''}`, startNs: e.time });
    } else if (e.f === 'transfer-leader' && v['phase'] === 'start') {
      open.push({ f: e.f, label: `transfer ${String(v['from'])}→${String(v['to'])}`, startNs: e.time });
    } else {
      const startF = e.f === 'transfer-leader' ? 'transfer-leader' : Object.keys(PAIRS).find((k) => PAIRS[k] === e.f);
      const i = open.findIndex((w) => w.f === startF);
      if (e.f !== 'heal' && i >= 0) {
        const w = open.splice(i, 1)[0] as (typeof open)[number];
        out.push({ label: w.label, startNs: w.startNs, endNs: Math.max(e.time, w.startNs + 1) });
      } else if (e.f === 'heal') {
        for (const w of open.splice(0)) out.push({ label: w.label, startNs: w.startNs, endNs: e.time });
      }
    }
  }
  for (const w of open) out.push({ label: w.label, startNs: w.startNs, endNs });
  return out;
}

const TYPE_COLOUR: Readonly<Record<string, string>> = { ok: '#2a9d4b', fail: '#d1495b', info: '#e9a23b' };
const PHASE_COLOUR: Readonly<Record<string, string>> = { calm: '#cfe8d5', faults: '#f6d4d4', heal: '#f9e7c2', recovery: '#d3e4f5', 'final-reads': '#e2d9f3' };

function marker(shape: number, x: number, y: number, colour: string): string {
  const s = 2.6;
  switch (shape % 4) {
    case 0: return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${s}" fill="${colour}" fill-opacity="0.6"/>`;
    case 1: return `<rect x="${(x - s).toFixed(1)}" y="${(y - s).toFixed(1)}" width="${2 * s}" height="${2 * s}" fill="${colour}" fill-opacity="0.6"/>`;
    case 2: return `<path d="M${x.toFixed(1)} ${(y - s - 0.5).toFixed(1)}l${s + 0.5} ${2 * s + 1}h-${2 * s + 1}z" fill="${colour}" fill-opacity="0.6"/>`;
    default: return `<path d="M${(x - s).toFixed(1)} ${(y - s).toFixed(1)}l${2 * s} ${2 * s}m0 -${2 * s}l-${2 * s} ${2 * s}" stroke="${colour}" stroke-width="1.3"/>`;
  }
}

function shading(f: Frame, x: Scale, windows: readonly FaultWindow[], failing: readonly FaultWindow[]): string {
  const h = plotHeight(f);
  const parts: string[] = [];
  windows.forEach((w, i) => {
    const x0 = x(w.startNs / NS_PER_S);
    const x1 = Math.max(x(w.endNs / NS_PER_S), x0 + 1);
    parts.push(`<rect x="${x0.toFixed(1)}" y="${f.top}" width="${(x1 - x0).toFixed(1)}" height="${h}" fill="#888" fill-opacity="0.15"><title>${esc(w.label)}</title></rect>`);
    // Labels take turns on three rows so neighbouring windows stay readable.
    parts.push(`<text x="${(x0 + 2).toFixed(1)}" y="${f.top + 9 + (i % 3) * 10}" font-size="8" fill="#555">${esc(w.label)}</text>`);
  });
  for (const w of failing) {
    const x0 = x(w.startNs / NS_PER_S);
    const x1 = Math.max(x(w.endNs / NS_PER_S), x0 + 2);
    parts.push(`<rect x="${x0.toFixed(1)}" y="${f.top}" width="${(x1 - x0).toFixed(1)}" height="${h}" fill="none" stroke="#d1495b" stroke-width="2"><title>${esc(w.label)}</title></rect>`);
  }
  return parts.join('');
}

function phaseBand(f: Frame, x: Scale, phases: readonly PhaseRecord[]): string {
  return phases.map((p) => {
    const x0 = x(p.startNs / NS_PER_S);
    const x1 = Math.max(x(p.endNs / NS_PER_S), x0 + 1);
    return `<rect x="${x0.toFixed(1)}" y="${f.top - 14}" width="${(x1 - x0).toFixed(1)}" height="10" fill="${PHASE_COLOUR[p.name] ?? '#ddd'}"><title>${p.name}</title></rect>` +
      `<text x="${(x0 + 2).toFixed(1)}" y="${f.top - 6}" font-size="8" fill="#333">${p.name}</text>`;
  }).join('');
}

/** invokeIndex → time of the entry that completed it (info completions included). */
export function completionTimes(entries: readonly HistoryEntry[]): Map<number, number> {
  const open = new Map<number | string, number>();
  const out = new Map<number, number>();
  for (const e of entries) {
    if (e.process === 'nemesis' || (e.type === 'info' && !open.has(e.process))) continue;
    if (e.type === 'invoke') open.set(e.process, e.index);
    else {
      const inv = open.get(e.process);
      if (inv === undefined) continue;
      open.delete(e.process);
      out.set(inv, e.time);
    }
  }
  return out;
}

function latencyPlot(ops: readonly Operation[], done: ReadonlyMap<number, number>, endNs: number, windows: readonly FaultWindow[], failing: readonly FaultWindow[], phases: readonly PhaseRecord[]): string {
  const f: Frame = { width: 1100, height: 380, left: 60, right: 20, top: 30, bottom: 36 };
  const endS = Math.max(endNs / NS_PER_S, 1);
  const x = linear(0, endS, f.left, f.left + plotWidth(f));
  const lat = (op: Operation): number => ((done.get(op.invokeIndex) ?? endNs) - op.invokeTime) / 1e6;
  const maxMs = maxOf(ops.map(lat), 10);
  const y = log10Scale(0.1, maxMs, f.top + plotHeight(f), f.top);
  const fs = [...new Set(ops.map((o) => o.f))].sort();
  const step = Math.max(1, Math.ceil(ops.length / LATENCY_POINTS_MAX));
  const points: string[] = [];
  for (let i = 0; i < ops.length; i += step) {
    const op = ops[i] as Operation;
    points.push(marker(fs.indexOf(op.f), x(op.invokeTime / NS_PER_S), y(lat(op)), TYPE_COLOUR[op.type] ?? '#555'));
  }
  const yTicks = [0.1, 1, 10, 100, 1000, 10000, 100000].filter((t) => t <= maxMs * 1.01);
  const legend = fs.map((name, i) => `<g transform="translate(${f.left + 10 + i * 90} ${f.height - f.bottom - 10})">${marker(i, 0, 0, '#333')}<text x="8" y="4">${esc(name)}</text></g>`).join('') +
    ['ok', 'fail', 'info'].map((t, i) => `<g transform="translate(${f.width - f.right - 210 + i * 70} ${f.height - f.bottom - 10})"><circle r="4" fill="${TYPE_COLOUR[t]}"/><text x="8" y="4">${t}</text></g>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" class="plot" font-family="sans-serif" font-size="11">` +
    phaseBand(f, x, phases) + shading(f, x, windows, failing) + yAxis(f, y, yTicks, 'latency (ms, log)') + xAxis(f, x, 0, endS, 'time (s)') +
    points.join('') + legend + '</svg>';
}

function throughputPlot(ops: readonly Operation[], done: ReadonlyMap<number, number>, endNs: number, windows: readonly FaultWindow[], phases: readonly PhaseRecord[]): string {
  const f: Frame = { width: 1100, height: 260, left: 60, right: 20, top: 30, bottom: 36 };
  const endS = Math.max(Math.ceil(endNs / NS_PER_S), 1);
  const buckets: Record<string, number[]> = { ok: new Array<number>(endS + 1).fill(0), fail: new Array<number>(endS + 1).fill(0), info: new Array<number>(endS + 1).fill(0) };
  for (const op of ops) {
    const t = Math.floor((done.get(op.invokeIndex) ?? op.invokeTime) / NS_PER_S);
    const b = buckets[op.type];
    if (b !== undefined && t <= endS) b[t] = (b[t] ?? 0) + 1;
  }
  const maxRate = maxOf(Object.values(buckets).flat(), 1);
  const x = linear(0, endS, f.left, f.left + plotWidth(f));
  const y = linear(0, maxRate, f.top + plotHeight(f), f.top);
  const lines = Object.entries(buckets).map(([type, counts]) => {
    const d = counts.map((c, i) => `${i === 0 ? 'M' : 'L'}${x(i + 0.5).toFixed(1)} ${y(c).toFixed(1)}`).join('');
    return `<path d="${d}" fill="none" stroke="${TYPE_COLOUR[type]}" stroke-width="1.6"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" class="plot" font-family="sans-serif" font-size="11">` +
    phaseBand(f, x, phases) + shading(f, x, windows, []) + yAxis(f, y, ticks(0, maxRate, 5), 'completions / s') + xAxis(f, x, 0, endS, 'time (s)') +
    lines.join('') + '</svg>';
}

/** The time span an anomaly points at, when it names history indices or operations. */
function anomalyWindow(a: Record<string, unknown>, entries: readonly HistoryEntry[], ops: readonly Operation[], checker: string): FaultWindow | null {
  const timeOf = (i: unknown): number | null => (typeof i === 'number' ? (entries.find((e) => e.index === i)?.time ?? null) : null);
  const w = a['window'] as { fromIndex?: unknown; toIndex?: unknown } | undefined;
  if (w !== undefined) {
    const s = timeOf(w.fromIndex);
    const e = timeOf(w.toIndex) ?? (s === null ? null : s + 1);
    if (s !== null && e !== null) return { label: `${checker}: ${String(a['type'])}`, startNs: s, endNs: e };
  }
  const opId = a['op'];
  if (typeof opId === 'number') {
    const op = ops[opId];
    if (op !== undefined) return { label: `${checker}: ${String(a['type'])}`, startNs: op.invokeTime, endNs: op.completeTime ?? op.invokeTime + 1 };
  }
  return null;
}

const verdictText = (v: Validity): string => (v === true ? 'valid' : v === false ? 'INVALID' : 'unknown');
const verdictClass = (v: Validity): string => (v === true ? 'ok' : v === false ? 'bad' : 'unk');

function pairedOrEmpty(entries: readonly HistoryEntry[]): { ops: readonly Operation[]; nemesis: readonly NemesisEntry[] } {
  try {
    const paired = pairOperations(entries);
    return { ops: paired.operations, nemesis: paired.nemesis };
  } catch {
    // A malformed history is reported by the checkers' error; the plots are then empty.
    return { ops: [], nemesis: [] };
  }
}

/** The rate in each phase and each fault window (results.json's `rates`, the report's table). */
export function runRates(entries: readonly HistoryEntry[], phases: readonly PhaseRecord[]): SpanRate[] {
  const { ops, nemesis } = pairedOrEmpty(entries);
  const endNs = maxOf([...entries.map((e) => e.time), ...phases.map((p) => p.endNs)], 1);
  const spans = [...phases.map((p) => ({ label: `phase ${p.name}`, startNs: p.startNs, endNs: p.endNs })), ...faultWindows(nemesis, endNs)];
  return spanRates(ops, spans);
}

export function renderReport(r: ReportInputs): string {
  const { ops, nemesis } = pairedOrEmpty(r.entries);
  const endNs = maxOf([...r.entries.map((e) => e.time), ...r.phases.map((p) => p.endNs)], 1);
  const windows = faultWindows(nemesis, endNs);
  const done = completionTimes(r.entries);
  const failing: FaultWindow[] = [];
  const checkerRows = r.results.map((c) => {
    const shown = c.anomalies.slice(0, ANOMALIES_SHOWN_MAX).map((a) => {
      const w = anomalyWindow(a as Record<string, unknown>, r.entries, ops, c.checker);
      if (w !== null) failing.push(w);
      const when = w === null ? '' : ` <span class="when">[${(w.startNs / NS_PER_S).toFixed(2)} s – ${(w.endNs / NS_PER_S).toFixed(2)} s]</span>`;
      return `<li><b>${esc(String(a.type))}</b>${when}: ${esc(a.message)}</li>`;
    });
    const more = c.anomalies.length > ANOMALIES_SHOWN_MAX ? `<li>… ${c.anomalies.length - ANOMALIES_SHOWN_MAX} more in results.json</li>` : '';
    const stats = Object.entries(c.stats).map(([k, v]) => `${esc(k)}=${v}`).join(', ');
    return `<tr><td>${esc(c.checker)}</td><td class="${verdictClass(c.valid)}">${verdictText(c.valid)}</td><td>${esc(stats)}${shown.length > 0 ? `<ul>${shown.join('')}${more}</ul>` : ''}</td></tr>`;
  });
  const counts = { ok: 0, fail: 0, info: 0 };
  let compareFalse = 0;
  for (const op of ops) {
    counts[op.type]++;
    if (answeredFalse(op)) compareFalse++;
  }
  const faultsList = windows.map((w) => `<li>${(w.startNs / NS_PER_S).toFixed(2)} s – ${(w.endNs / NS_PER_S).toFixed(2)} s: ${esc(w.label)}</li>`).join('');
  const eventsList = r.events.map((e) => `<li>${(e.timeNs / NS_PER_S).toFixed(2)} s: ${esc(e.kind)} ${esc(JSON.stringify(e.value))}</li>`).join('');
  const o = r.options;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
.ok{color:#2a9d4b;font-weight:bold}.bad{color:#d1495b;font-weight:bold}.unk{color:#c77d00;font-weight:bold}
.plot{font-family:system-ui,sans-serif}
.when{color:#666}pre{background:#f6f6f6;padding:8px;white-space:pre-wrap}
</style></head><body>
<h1>${esc(r.title)}: <span class="${verdictClass(r.valid)}">${verdictText(r.valid)}</span></h1>
<p>${o.nodes} members, workload <b>${esc(o.workload)}</b>, nemeses <b>${esc(o.nemeses.join(', ') || 'none')}</b>,
fault phase ${o.faultMs / 1000} s, rate ${o.rateHz}/s, concurrency ${o.concurrency}, seed ${o.seed}.
Operations: ${ops.length} (ok ${counts.ok}${compareFalse > 0 ? `, of which ${compareFalse} answered false: a compare that did not hold` : ''}, fail ${counts.fail}, info ${counts.info}).</p>
${r.error === null ? '' : `<h2>Run error</h2><pre>${esc(r.error)}</pre>`}
<h2>Checkers</h2>
<table><tr><th>checker</th><th>verdict</th><th>details</th></tr>${checkerRows.join('')}</table>
<h2>Latency</h2>
${latencyPlot(ops, done, endNs, windows, failing, r.phases)}
<h2>Throughput</h2>
${throughputPlot(ops, done, endNs, windows, r.phases)}
<h2>Faults</h2><ul>${faultsList || '<li>none</li>'}</ul>
<h2>Rates</h2>
<table><tr><th>span</th><th>from (s)</th><th>to (s)</th><th>ok ops/s</th><th>ok writes/s</th></tr>${runRates(r.entries, r.phases).map((x) => `<tr><td>${esc(x.label)}</td><td>${x.startS}</td><td>${x.endS}</td><td>${x.okPerS}</td><td>${x.okWritesPerS}</td></tr>`).join('')}</table>
${eventsList === '' ? '' : `<h2>Other events</h2><ul>${eventsList}</ul>`}
<p>Shaded: fault windows. Red outline: a checker's failing window. Band above each plot: run phases.</p>
</body></html>
`;
}
