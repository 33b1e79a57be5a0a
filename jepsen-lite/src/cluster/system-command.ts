// Running the system tools that build and fault a namespace network (ip, iptables, tc) and
// undoing what was made. Shared by jepsen-lite's `--net netns` and the integration harness's
// namespace lab. Invariant: every call is bounded by a timeout, and a failure's error names
// the command and carries its stderr.

import { execFileSync } from 'node:child_process';

/** Bound on each call. */
const SYSTEM_COMMAND_TIMEOUT_MS = 10_000;

/** Runs `cmd args` (with `input` on stdin) and returns its stdout. */
export function runCommand(cmd: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe', timeout: SYSTEM_COMMAND_TIMEOUT_MS, ...(input !== undefined ? { input } : {}) });
  } catch (err) {
    const detail = (err as { stderr?: Buffer | string }).stderr?.toString().trim() || (err as Error).message;
    throw new Error(`${cmd} ${args.join(' ')}: ${detail}`);
  }
}

/** Whether `cmd versionFlag` runs (the tool is installed). */
export function commandWorks(cmd: string, versionFlag: string): boolean {
  try {
    execFileSync(cmd, [versionFlag], { stdio: 'pipe', timeout: SYSTEM_COMMAND_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs each undo step even when an earlier one failed; returns the failures' messages (empty
 * when clean), leaving out those `ignore` accepts as already done.
 */
export function undoAll(steps: ReadonlyArray<() => void>, ignore: (message: string) => boolean = () => false): string[] {
  const problems: string[] = [];
  for (const step of steps) {
    try {
      step();
    } catch (err) {
      const message = (err as Error).message;
      if (!ignore(message)) problems.push(message);
    }
  }
  return problems;
}
