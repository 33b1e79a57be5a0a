// `kite chaos …`: jepsen-lite through the CLI (`kite chaos run --workload register …` is
// `pnpm jepsen-lite run --workload register …`). It runs jepsen-lite's own command line as a
// child process, so the CLI does not load the harness unless asked, and exits with its code
// (0 every checker valid, 1 a check failed or was unknown, 2 usage).

import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { EXIT_ERROR } from '../errors.js';

/** jepsen-lite's command-line entry, resolved through the workspace dependency. */
function jepsenLiteCli(): string {
  return fileURLToPath(import.meta.resolve('@kite/jepsen-lite/cli'));
}

export function registerChaos(program: Command): void {
  program.command('chaos')
    .description('chaos-test a local cluster with jepsen-lite: kite chaos run|matrix|check … (see `kite chaos --help`)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      const env = { ...process.env, JEPSEN_LITE_PROGRAM_NAME: 'kite chaos' };
      const child = spawn(process.execPath, [jepsenLiteCli(), ...args], { stdio: 'inherit', env });
      // Ctrl-C reaches the child through the terminal's process group; the child cleans up
      // its cluster and exits, and we exit with its code.
      const code = await new Promise<number>((resolve) => {
        child.on('error', () => resolve(EXIT_ERROR));
        child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal === null ? EXIT_ERROR : 128 + constants.signals[signal])));
      });
      process.exitCode = code;
    });
}
