// Naming rules for namespaces, apps, config keys and instance ids. Names become path
// segments of store keys and file names on export, so they exclude '/', whitespace and
// anything a file system treats specially; a leading '.' is refused (hidden files, '..').
import { ConfigError } from './errors.js';

export const NAME_BYTES_MAX = 128;
const NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** Instance ids may also carry ':' (host:port ids are common). */
const INSTANCE_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._:-]*$/;

export type NameKind = 'namespace' | 'app' | 'key' | 'instance id';

export function checkName(kind: NameKind, name: string): string {
  const pattern = kind === 'instance id' ? INSTANCE_ID_PATTERN : NAME_PATTERN;
  if (name.length === 0 || name.length > NAME_BYTES_MAX || !pattern.test(name)) {
    throw new ConfigError(
      'InvalidName',
      `invalid ${kind} ${JSON.stringify(name)}: use 1..${NAME_BYTES_MAX} of A-Z a-z 0-9 . _ -${kind === 'instance id' ? ' :' : ''}, not starting with '.'`,
      { kind, name },
    );
  }
  return name;
}

/** An app is addressed as namespace/app (environments such as dev/test/prod are namespaces). */
export interface AppRef {
  readonly namespace: string;
  readonly app: string;
}

export function checkApp(ref: AppRef): AppRef {
  return { namespace: checkName('namespace', ref.namespace), app: checkName('app', ref.app) };
}
