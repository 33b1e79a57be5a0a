// The environment every member process starts with. Nothing is inherited from the harness but
// the machine plumbing a Node process needs (INHERITED_ENV_NAMES), then NODE_ENV=production,
// then the run's explicit settings (--server-env NAME=VALUE). The server reads any KITE_<FLAG>
// variable as a flag, so inheriting the shell's environment would let a stray export change the
// cluster under test without a trace in results.json or the repro command.

/** Variables passed through from the harness: where programs and temp files live, nothing Kite reads. */
export const INHERITED_ENV_NAMES: readonly string[] = ['PATH', 'HOME', 'TMPDIR'];
/** A variable name the shell would accept (and a repro command can spell). */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Explicit settings one run may pass to its members. */
export const SERVER_ENV_ENTRIES_MAX = 64;

export class ServerEnvError extends Error {
  readonly code = 'ServerEnvError';
}

/** Parses NAME=VALUE (the CLI's --server-env); the value may be empty and may contain '='. */
export function parseServerEnvEntry(raw: string): [name: string, value: string] {
  const eq = raw.indexOf('=');
  const name = eq < 0 ? raw : raw.slice(0, eq);
  if (eq < 0 || !ENV_NAME.test(name)) throw new ServerEnvError(`--server-env needs NAME=VALUE with a shell variable name, got ${JSON.stringify(raw)}`);
  return [name, raw.slice(eq + 1)];
}

/** The members' whole environment for a run whose explicit settings are `settings`. */
export function memberEnv(settings: Readonly<Record<string, string>>, harness: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const names = Object.keys(settings);
  if (names.length > SERVER_ENV_ENTRIES_MAX) throw new ServerEnvError(`at most ${SERVER_ENV_ENTRIES_MAX} --server-env settings, got ${names.length}`);
  for (const n of names) if (!ENV_NAME.test(n)) throw new ServerEnvError(`bad --server-env name ${JSON.stringify(n)}`);
  const env: Record<string, string> = {};
  for (const n of INHERITED_ENV_NAMES) {
    const v = harness[n];
    if (v !== undefined) env[n] = v;
  }
  return { ...env, NODE_ENV: 'production', ...settings };
}
