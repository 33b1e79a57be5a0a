// Expected errors when reading a history: the file is malformed or breaks the pairing rule.
// They carry a stable `code` so the runner can report them without parsing messages.

export type HistoryErrorCode = 'MalformedHistory' | 'UnpairedCompletion' | 'DoubleInvoke';

export class HistoryFormatError extends Error {
  readonly code: HistoryErrorCode;
  /** 1-based line number in history.jsonl, or the entry index, when known. */
  readonly line: number | null;

  constructor(code: HistoryErrorCode, message: string, line: number | null = null) {
    super(line === null ? message : `line ${line}: ${message}`);
    this.name = 'HistoryFormatError';
    this.code = code;
    this.line = line;
  }
}
