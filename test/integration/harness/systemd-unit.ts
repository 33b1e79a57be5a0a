// Reads the repository's systemd deployment (deploy/systemd/kite@.service and its env file)
// the way systemd would for one instance, so a test starts members with exactly the command
// line and environment the documented deployment gives them. Only what that unit uses is
// understood: the [Service] keys ExecStart, Environment, EnvironmentFile and
// WorkingDirectory, the %i specifier, and KEY=VALUE env files; anything else in ExecStart
// (quotes, $VARS, prefixes like "-" or "@") is refused rather than guessed at.

import { readFileSync } from 'node:fs';

export interface UnitService {
  /** ExecStart split into words, %i replaced. */
  readonly execStart: readonly string[];
  /** Environment= assignments, %i replaced. */
  readonly environment: Readonly<Record<string, string>>;
  readonly environmentFiles: readonly string[];
  readonly workingDirectory: string | null;
}

/** The [Service] section of a template unit for instance `instance`. */
export function readUnitService(file: string, instance: string): UnitService {
  const lines = readFileSync(file, 'utf8').split('\n');
  let section = '';
  const execStart: string[] = [];
  const environment: Record<string, string> = {};
  const environmentFiles: string[] = [];
  let workingDirectory: string | null = null;
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    if (line.startsWith('[')) {
      section = line;
      continue;
    }
    if (section !== '[Service]') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}: "${line}" is not Key=Value`);
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll('%i', instance);
    if (key === 'ExecStart') {
      if (/["'$\\]/.test(value) || /^[-@:+!]/.test(value)) throw new Error(`${file}: ExecStart "${value}" uses syntax this reader does not handle`);
      execStart.push(...value.split(/\s+/).filter((w) => w !== ''));
    } else if (key === 'Environment') {
      for (const assignment of value.split(/\s+/).filter((w) => w !== '')) {
        const [name, ...rest] = assignment.split('=');
        if (name === undefined || rest.length === 0) throw new Error(`${file}: Environment "${assignment}" is not NAME=VALUE`);
        environment[name] = rest.join('=');
      }
    } else if (key === 'EnvironmentFile') {
      environmentFiles.push(value);
    } else if (key === 'WorkingDirectory') {
      workingDirectory = value;
    }
  }
  if (execStart.length === 0) throw new Error(`${file}: no ExecStart in [Service]`);
  return { execStart, environment, environmentFiles, workingDirectory };
}

/** A systemd EnvironmentFile: KEY=VALUE lines, # comments, optional surrounding quotes. */
export function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}: "${line}" is not KEY=VALUE`);
    out[line.slice(0, eq).trim()] = line.slice(eq + 1).trim().replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
  }
  return out;
}
