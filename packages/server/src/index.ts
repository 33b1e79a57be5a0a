// Public surface of @kite/server: run a member (the CLI's `kite server`), or embed one.
export { runServer, EXIT_OK, EXIT_FATAL, EXIT_CONFIG, EXIT_DATA_DIR, EXIT_LISTEN, EXIT_JOIN, EXIT_DISK_FULL } from './run-server.js';
export { loadConfig, usage, ConfigError, HelpRequested, deriveMemberId, deriveClusterId } from './config.js';
export type { ServerConfig, ClusterMemberSpec, LogLevel, InitialClusterState } from './config.js';
export { KiteServer, KITE_VERSION } from './kite-server.js';
export { openKvStore } from './kv-adapter.js';
export { createLogger } from './logger.js';
export { DataDirError } from './data-dir-error.js';
export { verifyWal, type WalVerifyReport, type WalProblem } from './wal/verify.js';
export type { WalRecord } from './wal/record.js';
export { encodeBackup, verifyBackupFile, BackupFileError, BACKUP_MAGIC } from './backup-file.js';
export type { BackupFileErrorCode } from './backup-file.js';
export type { BackupHeader, VerifiedBackup } from './backup-file.js';
export { backupStatus, restoreDataDir } from './restore-data-dir.js';
export type { BackupStatus, RestoreConfig, RestoreResult } from './restore-data-dir.js';
export { parseInitialCluster } from './config.js';
export { syncDir } from './sync-dir.js';
