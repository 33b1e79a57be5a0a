// One line for an error shown to the user: a KiteError's or ConfigError's code and message,
// else the message.
import { isKiteError } from '@kite/client/browser';
import { isConfigError } from '@kite/config';

export function errorText(err: unknown): string {
  if (isKiteError(err) || isConfigError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
