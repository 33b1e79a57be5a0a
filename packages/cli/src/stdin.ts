// Reading stdin whole (put VALUE from a pipe, txn from a file), with a size bound so a
// runaway pipe fails clearly instead of exhausting memory.
import { REQUEST_BYTES_MAX } from '@kite/protocol';
import { UsageError } from './errors.js';

export const STDIN_BYTES_MAX = REQUEST_BYTES_MAX;

export async function readStdin(maxBytes = STDIN_BYTES_MAX): Promise<string> {
  if (process.stdin.isTTY === true) {
    throw new UsageError('no VALUE given and stdin is a terminal; pass VALUE or pipe it in');
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > maxBytes) throw new UsageError(`stdin is larger than ${maxBytes} bytes (the request size limit)`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
