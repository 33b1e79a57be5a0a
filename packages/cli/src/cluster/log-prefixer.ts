// Turns a member's stdout/stderr into lines prefixed by its coloured name. JSON lines (pino)
// are rendered readable with pino-pretty; anything else passes through. A line longer than
// LOG_LINE_CHARS_MAX is cut so one runaway log cannot flood the terminal's scrollback.
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { prettyFactory } from 'pino-pretty';
import { MEMBER_COLORS, type Paint } from '../output/color.js';

export const LOG_LINE_CHARS_MAX = 16_384;

export type LineSink = (line: string) => void;

export function makeLineFormatter(name: string, index: number, width: number, paint: Paint): (line: string) => string {
  const color = MEMBER_COLORS[index % MEMBER_COLORS.length]!;
  const prefix = paint(color, `${name.padEnd(width)} |`);
  const pretty = prettyFactory({ colorize: paint.enabled, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
  return (raw: string) => {
    const line = raw.length > LOG_LINE_CHARS_MAX ? `${raw.slice(0, LOG_LINE_CHARS_MAX)}… (${raw.length} chars)` : raw;
    let body = line;
    if (line.startsWith('{')) {
      try {
        body = pretty(JSON.parse(line) as object).replace(/\n$/, '');
      } catch {
        body = line;
      }
    }
    return `${prefix} ${body}`;
  };
}

export function pipeLines(stream: Readable, format: (line: string) => string, sink: LineSink): void {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', (line) => sink(format(line)));
}
