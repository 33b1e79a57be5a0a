// ANSI colour, only when the stream is a terminal and NO_COLOR is unset (no-color.org).

export interface Paint {
  readonly enabled: boolean;
  (code: string, s: string): string;
}

export const COLORS = {
  red: '31', green: '32', yellow: '33', blue: '34', magenta: '35', cyan: '36', bold: '1', dim: '2',
} as const;

/** Member colours, in member order (cycled). */
export const MEMBER_COLORS = ['36', '35', '33', '32', '34', '91', '96', '95', '93'] as const;

export function paintFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Paint {
  const enabled = stream.isTTY === true && (env['NO_COLOR'] ?? '') === '' && env['TERM'] !== 'dumb';
  const paint = ((code: string, s: string) => (enabled ? `\u001b[${code}m${s}\u001b[0m` : s)) as Paint;
  Object.defineProperty(paint, 'enabled', { value: enabled });
  return paint;
}
