// Splits a streamed request body into its top-level JSON objects, as they complete, for the
// gateway's streaming routes (a /v3/watch body is a sequence of WatchRequest objects, sent at
// once or over time, optionally separated by whitespace or newlines).
//
// It only finds object boundaries (braces outside strings, escapes inside them); JSON.parse
// judges each object. Works on bytes: every structural character is ASCII and no byte of a
// multi-byte UTF-8 sequence is below 0x80. Invariant: the bytes held for an unfinished object
// never pass objectBytesMax (the splitter throws GatewayInputError first).

import { GatewayInputError } from './gateway-json.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Space, tab, newline, carriage return: allowed between objects. */
const WHITESPACE: ReadonlySet<number> = new Set([0x20, 0x09, 0x0a, 0x0d]);

export class JsonObjectSplitter {
  /** Chunks of the object in progress (copies of the input ranges). */
  private parts: Buffer[] = [];
  private heldBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly objectBytesMax: number) {}

  /** True while an object has started and not ended (the body must not end here). */
  get midObject(): boolean {
    return this.depth > 0;
  }

  /** The objects `chunk` completes, as UTF-8 text, in order. */
  push(chunk: Buffer): string[] {
    const done: string[] = [];
    let start = this.depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (this.depth === 0) {
        if (WHITESPACE.has(b)) continue;
        if (b !== OPEN_BRACE) throw new GatewayInputError('request stream: expected a JSON object');
        start = i;
        this.depth = 1;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_BRACE) this.depth++;
      else if (b === CLOSE_BRACE && --this.depth === 0) {
        this.hold(chunk.subarray(start, i + 1));
        done.push(Buffer.concat(this.parts).toString('utf8'));
        this.parts = [];
        this.heldBytes = 0;
        start = -1;
      }
    }
    if (this.depth > 0 && start >= 0) this.hold(chunk.subarray(start));
    return done;
  }

  private hold(bytes: Buffer): void {
    this.heldBytes += bytes.length;
    if (this.heldBytes > this.objectBytesMax) {
      throw new GatewayInputError(`request stream: an object passed ${this.objectBytesMax} bytes`);
    }
    this.parts.push(Buffer.from(bytes));
  }
}
