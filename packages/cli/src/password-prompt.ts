// Reading a password from the terminal without echoing it (etcdctl's prompt for --user without
// a password, and for `user add` / `user passwd`). Only a terminal can answer: with no TTY on
// stdin the question is never asked and the command says which flag or variable to use.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from './errors.js';

export interface PasswordIo {
  readonly input: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly output: NodeJS.WritableStream;
}

const STDIO: PasswordIo = { input: process.stdin, output: process.stderr };

export async function promptPassword(question: string, hint: string, io: PasswordIo = STDIO): Promise<string> {
  if (io.input.isTTY !== true) throw new UsageError(`a password is needed and stdin is not a terminal: ${hint}`);
  io.output.write(question);
  // Typed characters go to a sink: nothing the user types is echoed.
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: io.input, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    io.output.write('\n');
  }
}
