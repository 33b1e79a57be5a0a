// Limits of the key tree (no imports: the browser tests read them too).

/** Keys read per range (rows shown per page are at most this many). */
export const KEYS_PAGE_MAX = 500;
/** Open folders (each with a watch) at once. */
export const OPEN_FOLDERS_MAX = 64;
/** Queued watch events before they are applied without waiting for a frame. */
export const PENDING_EVENTS_MAX = 10_000;
