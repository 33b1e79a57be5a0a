// Summarizes a V8 .cpuprofile (node --cpu-prof, e.g. from `pnpm bench:cluster --cpu-prof DIR`):
// the functions with the most self time, and the heaviest call paths by inclusive time, as
// markdown tables. Shares of the profile's sampled time, which a loaded machine does not skew
// the way it skews wall-clock figures.
//
//   npx tsx test/bench/profile-summary.ts FILE.cpuprofile [top=25]
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Frames V8 reports for time not spent in JavaScript; kept, but named plainly. */
function frameName(f: CallFrame): string {
  const fn = f.functionName === '' ? '(anonymous)' : f.functionName;
  if (f.url === '') return fn;
  const file = f.url.replace(/^file:\/\//, '');
  const short = file.includes('/node_modules/') ? file.slice(file.lastIndexOf('/node_modules/') + 14) : file.includes('/packages/') ? file.slice(file.indexOf('/packages/') + 1) : path.basename(file);
  return `${fn} ${short}:${f.lineNumber + 1}`;
}

/** Where a frame's code lives: `grpc-js`, `node:internal/http2`, `packages/server/etcd`, `(garbage collector)`... */
function areaOf(f: CallFrame): string {
  if (f.url === '') return f.functionName;
  const file = f.url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = file.slice(nm + 14).split('/');
    return (parts[0] ?? '').startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? file);
  }
  if (file.startsWith('node:')) return file.split('/').slice(0, 3).join('/');
  const pk = file.indexOf('/packages/');
  if (pk >= 0) return file.slice(pk + 1).split('/').filter((x) => x !== 'dist' && x !== 'src').slice(0, 3).join('/').replace(/\.js$/, '');
  return path.basename(file);
}

export function summarize(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idleUs = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  const busyUs = totalUs - idleUs;
  const pct = (us: number): string => `${((100 * us) / busyUs).toFixed(1)} %`;

  // Self time per function (summed over every node of the same frame).
  const selfByFrame = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (n === undefined || n.callFrame.functionName === '(idle)') continue;
    const name = frameName(n.callFrame);
    selfByFrame.set(name, (selfByFrame.get(name) ?? 0) + us);
  }

  // Inclusive time per call path (root to node), for the heaviest paths.
  const inclusive = new Map<number, number>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  for (const [id, us] of selfUs) {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) inclusive.set(at, (inclusive.get(at) ?? 0) + us);
  }
  const pathOf = (id: number): string[] => {
    const out: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame;
      if (f !== undefined && f.functionName !== '(root)') out.unshift(frameName(f));
    }
    return out;
  };
  // Paths worth reading: nodes of our own code (packages/) with the most inclusive time whose
  // parent is not ours (the entry points into our code from the runtime).
  const ours = (id: number): boolean => (byId.get(id)?.callFrame.url ?? '').includes('/packages/');
  const entries = profile.nodes
    .filter((n) => ours(n.id) && !ours(parent.get(n.id) ?? -1))
    .map((n) => ({ id: n.id, us: inclusive.get(n.id) ?? 0 }));
  const entryByName = new Map<string, number>();
  for (const e of entries) {
    const name = frameName((byId.get(e.id) as ProfileNode).callFrame);
    entryByName.set(name, (entryByName.get(name) ?? 0) + e.us);
  }

  // Self time per area: a package (node_modules or ours), a Node internal module, or V8's own.
  const selfByArea = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)?.callFrame;
    if (f === undefined || f.functionName === '(idle)') continue;
    const area = areaOf(f);
    selfByArea.set(area, (selfByArea.get(area) ?? 0) + us);
  }

  const lines: string[] = [];
  lines.push(`sampled ${(totalUs / 1000).toFixed(0)} ms, busy (not idle) ${(busyUs / 1000).toFixed(0)} ms; shares below are of busy time`);
  lines.push('');
  lines.push('| self | area |');
  lines.push('|---:|---|');
  for (const [name, us] of [...selfByArea].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`| ${pct(us)} | ${name} |`);
  lines.push('');
  lines.push('| self | function |');
  lines.push('|---:|---|');
  for (const [name, us] of [...selfByFrame].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`| ${pct(us)} | \`${name}\` |`);
  lines.push('');
  lines.push('| inclusive | entry into our code (from the runtime) |');
  lines.push('|---:|---|');
  for (const [name, us] of [...entryByName].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`| ${pct(us)} | \`${name}\` |`);
  lines.push('');
  lines.push('Heaviest leaf paths (self time):');
  lines.push('');
  const leaves = [...selfUs].filter(([id]) => byId.get(id)?.callFrame.functionName !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, Math.min(10, top));
  for (const [id, us] of leaves) lines.push(`- ${pct(us)}: ${pathOf(id).slice(-8).join(' → ')}`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  const top = Number(process.argv[3] ?? 25);
  process.stdout.write(`${summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top)}\n`);
}
