// The console's esbuild options, shared by the build (build.ts, writes dist/) and the bundle
// size test (builds in memory). Workspace packages are bundled from their TypeScript sources,
// as vitest resolves them, so the bundle does not depend on a prior `tsc -b`. Everything is in
// the bundle: the console must work with no network access beyond the member serving it.
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Where the build writes; members serve this directory at /ui. */
export const CONSOLE_DIST_DIR = here('./dist');
/** The URL path members serve the console at (index.html refers to assets under it). */
export const CONSOLE_BASE_PATH = '/ui/';
/** The gzipped bundle (JS and CSS) must stay within this (issue 13). */
export const BUNDLE_GZIP_BYTES_MAX = 250 * 1024;

export function bundleOptions(): BuildOptions & { metafile: true } {
  return {
    entryPoints: { app: here('./src/main.tsx') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    metafile: true,
    legalComments: 'none',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    outdir: here('./dist/assets'),
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
    alias: {
      '@kite/client/browser': here('../client/src/browser.ts'),
      '@kite/client': here('../client/src/public.ts'),
      '@kite/protocol': here('../protocol/src/index.ts'),
      '@kite/config': here('../config/src/index.ts'),
    },
    logLevel: 'warning',
  };
}
