// Asking a person before a write they may not have meant. Only a terminal can answer: with no
// TTY on stdin (a script, CI) the question is never asked, so nothing can hang waiting for an
// answer; the command refuses and names the flag that says yes up front.
import { createInterface } from 'node:readline/promises';
import { UsageError } from './errors.js';

export interface PromptIo {
  readonly input: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly output: NodeJS.WritableStream;
}

const STDIO: PromptIo = { input: process.stdin, output: process.stderr };

/**
 * True when the change may go ahead: `yes` (the --yes flag), or a person typed y/yes after
 * seeing `plan`. Throws a UsageError when there is nobody to ask.
 */
export async function confirmChange(plan: string, yes: boolean, io: PromptIo = STDIO): Promise<boolean> {
  if (yes) return true;
  if (io.input.isTTY !== true) {
    throw new UsageError(`this command asks for confirmation and stdin is not a terminal; pass --yes to go ahead without asking\n${plan}`);
  }
  io.output.write(plan);
  const rl = createInterface({ input: io.input, output: io.output, terminal: true });
  try {
    const answer = await rl.question('Proceed? [y/N] ');
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
