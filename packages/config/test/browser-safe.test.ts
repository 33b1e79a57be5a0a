// The core of @kite/config must run in a browser: only the Node entry (node.ts) and the file
// cache (file-cache.ts) may touch Node APIs, and the core takes only types from
// @kite/client (whose default entry is the Node one), so a bundle pulls no `ws`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../src/', import.meta.url));
const NODE_ONLY = new Set(['node.ts', 'file-cache.ts']);

describe('@kite/config browser safety', () => {
  it('the core imports no Node module and only types from @kite/client', () => {
    const files = readdirSync(src).filter((f) => f.endsWith('.ts') && !NODE_ONLY.has(f));
    expect(files.length).toBeGreaterThan(8);
    const offenders = files.filter((f) => {
      const text = readFileSync(join(src, f), 'utf8');
      return /from '(node:[^']+|ws|fs|path|events|net|buffer|crypto)'/.test(text) || /\bBuffer\./.test(text) || /\bprocess\./.test(text)
        || /^import (?!type )[^;]*from '@kite\/client'/m.test(text) || /from '\.\/(node|file-cache)\.js'/.test(text);
    });
    expect(offenders).toEqual([]);
  });
});
