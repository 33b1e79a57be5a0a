// The console bundle stays within its budget: the JS and CSS the browser downloads, gzipped,
// at most BUNDLE_GZIP_BYTES_MAX (issue 13). Built in memory with the build's own options, so
// the number is the shipped one and no prior build is needed.
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_GZIP_BYTES_MAX, bundleOptions } from '../build-options.js';

describe('console bundle', () => {
  it('is at most 250 KB gzipped, JS and CSS together, with nothing left to fetch from elsewhere', async () => {
    const result = await build({ ...bundleOptions(), write: false });
    const files = result.outputFiles;
    expect(files.map((f) => f.path.slice(f.path.lastIndexOf('.')))).toEqual(expect.arrayContaining(['.js', '.css']));
    let gzipBytes = 0;
    for (const f of files) gzipBytes += gzipSync(f.contents, { level: 9 }).byteLength;
    process.stdout.write(`console bundle: ${files.map((f) => `${f.path.slice(f.path.lastIndexOf('/') + 1)} ${f.contents.byteLength} B`).join(', ')}; ${gzipBytes} B gzipped\n`);
    expect(gzipBytes).toBeLessThanOrEqual(BUNDLE_GZIP_BYTES_MAX);
    // Every import was bundled: no bare import left for the browser to resolve.
    const js = files.find((f) => f.path.endsWith('.js'));
    expect(js?.text).not.toMatch(/\bimport\s*[\w{*][^;]*from\s*["'][^./]/);
    expect(js?.text).not.toMatch(/https?:\/\/(cdn|unpkg|fonts\.)/);
  });
});
