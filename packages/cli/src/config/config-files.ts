// `kite config export|import`: an app's released content as a directory of files, one file
// per key, for GitOps-style review. The directory holds a manifest (MANIFEST_FILE) mapping
// each key to its file and type, so keys and types round-trip exactly; a directory without a
// manifest is read by file name (key = file name, type from the extension).
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkName, isValueType, typeFromFileName, type ConfigValue, type Content } from '@kite/config';
import { UsageError } from '../errors.js';

export const MANIFEST_FILE = 'kite-config.json';
/** Files read by one import (each becomes a staged key). */
export const IMPORT_FILES_MAX = 10_000;

interface Manifest {
  readonly namespace: string;
  readonly app: string;
  readonly release: number;
  readonly keys: Readonly<Record<string, { readonly file: string; readonly type: ConfigValue['type'] }>>;
}

/** Writes `content` into `dir` (created if needed); returns the file names written. */
export async function exportContent(dir: string, ref: { namespace: string; app: string }, release: number, content: Content): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const keys: Record<string, { file: string; type: ConfigValue['type'] }> = {};
  for (const [key, v] of Object.entries(content)) {
    keys[key] = { file: key, type: v.type };
    await writeAtomic(path.join(dir, key), v.text);
  }
  const manifest: Manifest = { ...ref, release, keys };
  await writeAtomic(path.join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return Object.keys(keys);
}

/** Reads a directory written by export (or a plain directory of files) into key → value. */
export async function importContent(dir: string): Promise<Map<string, ConfigValue>> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  if (names.length > IMPORT_FILES_MAX) throw new UsageError(`${dir} holds ${names.length} files; the limit is ${IMPORT_FILES_MAX}`);
  const out = new Map<string, ConfigValue>();
  if (names.includes(MANIFEST_FILE)) {
    const m = JSON.parse(await readFile(path.join(dir, MANIFEST_FILE), 'utf8')) as Partial<Manifest>;
    if (typeof m.keys !== 'object' || m.keys === null) throw new UsageError(`${MANIFEST_FILE}: no "keys" object`);
    for (const [key, e] of Object.entries(m.keys)) {
      if (typeof e?.file !== 'string' || !isValueType(e.type) || path.basename(e.file) !== e.file) throw new UsageError(`${MANIFEST_FILE}: bad entry for ${key}`);
      out.set(checkName('key', key), { type: e.type, text: await readFile(path.join(dir, e.file), 'utf8') });
    }
    return out;
  }
  for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
    out.set(checkName('key', name), { type: typeFromFileName(name), text: await readFile(path.join(dir, name), 'utf8') });
  }
  return out;
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}
