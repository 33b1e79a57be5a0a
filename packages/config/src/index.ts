// Public surface of @kite/config (browser-safe: no Node modules). The Node entry
// '@kite/config/node' adds the file snapshot cache and a `config()` that takes `cacheDir`.
export { ConfigError, isConfigError, type ConfigErrorCode, type ConfigErrorDetails } from './errors.js';
export { checkName, checkApp, NAME_BYTES_MAX, type AppRef, type NameKind } from './names.js';
export { AppKeys, CONFIG_PREFIX, RELEASE_DIGITS } from './keys.js';
export {
  VALUE_TYPES, VALUE_BYTES_MAX, isValueType, parseValueType, typeFromFileName, validateValue, parseValue, syntaxProblem,
  type ValueType, type ConfigValue,
} from './value-types.js';
export { findJsonError, type SyntaxProblem } from './json-check.js';
export { parseProperties, type Properties } from './properties.js';
export {
  GRAY_BUCKETS, GRAY_LIST_MAX, checkGrayRule, effectiveRelease, grayBucket, parseGrayRule, ruleMatches,
  type GrayRule, type InstanceIdentity,
} from './gray-rule.js';
export {
  diffContent, applyDraft, EMPTY_HEAD,
  type AppHead, type Content, type DiffEntry, type DraftEntry, type GrayOutcome, type GrayState, type InstanceRecord, type ReleaseKind, type ReleaseRecord,
} from './model.js';
export {
  ConfigAdmin, RELEASE_BYTES_MAX,
  type Actor, type AppState, type InstanceView, type PublishOptions, type ReleaseListing,
} from './admin.js';
export { config, ConfigInstance, CONFIG_DEFAULTS, SDK_VERSION, type ConfigChange, type ConfigOptions, type ConfigSnapshot } from './sdk.js';
export type { CachedSnapshot, SnapshotCache } from './snapshot-cache.js';
