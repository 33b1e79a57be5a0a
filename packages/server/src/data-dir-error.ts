// The one error type of a data directory that cannot be used as it is (exit code 3 for the
// corrupt or unreadable cases, see run-server.ts). Shared by the WAL, the legacy LevelDB raft
// log reader and the start-up checks.

export type DataDirErrorCode = 'CorruptDataDir' | 'DataDirLocked' | 'DataDirUnreadable' | 'WrongDataDir';

/** The data directory cannot be used as it is; the process must stop without touching it. */
export class DataDirError extends Error {
  constructor(
    readonly code: DataDirErrorCode,
    message: string,
  ) {
    super(message);
  }
}
