// Builds the console into packages/console/dist: assets/app-<hash>.js and .css (names change
// with content, so members can let browsers cache them forever) and index.html, which is
// never cached and names the current assets. Run by the root `build`/`prepare` scripts after
// `tsc -b` and the console's type check. The old dist is removed first so stale hashed files
// are never served.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { bundleOptions, CONSOLE_BASE_PATH, CONSOLE_DIST_DIR } from './build-options.js';

function outputName(outputs: readonly string[], ext: string): string {
  const found = outputs.find((o) => o.endsWith(ext));
  if (found === undefined) throw new Error(`the console build produced no ${ext} file`);
  return path.basename(found);
}

rmSync(CONSOLE_DIST_DIR, { recursive: true, force: true });
mkdirSync(CONSOLE_DIST_DIR, { recursive: true });
const result = await build(bundleOptions());
const outputs = Object.keys(result.metafile.outputs);
const js = outputName(outputs, '.js');
const css = outputName(outputs, '.css');
writeFileSync(path.join(CONSOLE_DIST_DIR, 'index.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Kite console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${CONSOLE_BASE_PATH}assets/${css}">
<script type="module" src="${CONSOLE_BASE_PATH}assets/${js}"></script>
</head>
<body>
<div id="app"></div>
<noscript>The Kite console needs JavaScript.</noscript>
</body>
</html>
`);
process.stdout.write(`console built: ${CONSOLE_DIST_DIR} (${js}, ${css})\n`);
