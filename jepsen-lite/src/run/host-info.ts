// What else shapes a run besides its options and the members' environment: the code under test
// (the repository's commit, and whether the tree had uncommitted changes), the Node.js that ran
// it and the machine's size and load when it started (a rate measured on a loaded machine is not
// comparable with one measured on an idle one). Recorded in results.json; best effort: a field
// that cannot be learned is null, never a failed run.

import { execFileSync } from 'node:child_process';
import { cpus, loadavg, platform, release } from 'node:os';
import path from 'node:path';

/** Bound on each git query (a hung git must not hold the run). */
const GIT_TIMEOUT_MS = 5_000;

export interface HostInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  /** 1, 5 and 15 minute load averages at the start of the run. */
  readonly loadAverage: readonly number[];
  readonly gitCommit: string | null;
  /** True when tracked files differed from the commit (the build may not be that commit). */
  readonly gitDirty: boolean | null;
}

function git(args: readonly string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, timeout: GIT_TIMEOUT_MS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Facts about this host and the checkout that holds `serverBin`. */
export function hostInfo(serverBin: string): HostInfo {
  const cwd = path.dirname(serverBin);
  const status = git(['status', '--porcelain', '--untracked-files=no'], cwd);
  return {
    node: process.version,
    platform: `${platform()} ${release()}`,
    cpus: cpus().length,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    gitCommit: git(['rev-parse', 'HEAD'], cwd),
    gitDirty: status === null ? null : status !== '',
  };
}
