// Public surface of @kite/cli: the program (for embedding and tests) and its pure helpers.
export { buildProgram, main, VERSION } from './main.js';
export { parseTxnText, parseCompareLine, parseOpLine, splitWords, type TxnSpec } from './txn-syntax.js';
export { diffLines, formatHistory } from './history-diff.js';
export { EXIT_OK, EXIT_ERROR, EXIT_USAGE, UsageError, CliError } from './errors.js';
