// Summarizes a V8 .heapsnapshot (e.g. from `pnpm bench:cluster --heap-snapshot DIR`): self
// size and count per node type and constructor, largest first, as a markdown table. Self
// sizes, not retained sizes: enough to see what kind of object holds the memory.
//
//   npx tsx test/bench/heap-summary.ts FILE.heapsnapshot [top=30]
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface HeapSnapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: readonly string[]; readonly node_types: readonly [readonly string[], ...unknown[]] } };
  readonly nodes: readonly number[];
  readonly strings: readonly string[];
}

export function summarizeHeap(h: HeapSnapshot, top: number): string {
  const fields = h.snapshot.meta.node_fields;
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = h.snapshot.meta.node_types[0];
  const groups = new Map<string, { bytes: number; count: number }>();
  let total = 0;
  for (let i = 0; i < h.nodes.length; i += stride) {
    const type = types[h.nodes[i + typeAt] as number] ?? '?';
    const size = h.nodes[i + sizeAt] as number;
    total += size;
    // Objects by constructor; strings, code and the like by type (their names are contents).
    const key = type === 'object' || type === 'closure' || type === 'native' ? `${type} ${h.strings[h.nodes[i + nameAt] as number] ?? '?'}` : `(${type})`;
    const g = groups.get(key) ?? { bytes: 0, count: 0 };
    g.bytes += size;
    g.count++;
    groups.set(key, g);
  }
  const mib = (n: number): string => (n / 1024 / 1024).toFixed(2);
  const lines = [`total self size ${mib(total)} MiB in ${h.nodes.length / stride} nodes`, '', '| MiB | count | type / constructor |', '|---:|---:|---|'];
  for (const [key, g] of [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top)) lines.push(`| ${mib(g.bytes)} | ${g.count} | \`${key.slice(0, 80)}\` |`);
  return lines.join('\n');
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: heap-summary FILE.heapsnapshot [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeHeap(JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot, Number(process.argv[3] ?? 30))}\n`);
}
