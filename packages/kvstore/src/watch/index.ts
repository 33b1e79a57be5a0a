// Public surface of the watch hub. Typical host wiring (the server):
//
//   const hub = new WatchHub(store, { bufferedEventsMax: 1024 });   // subscribes to the store
//   const w = hub.watch({ key, rangeEnd, startRevision, prevKv, noPut, noDelete, progressNotify });
//   w.onReadable(() => send(w.poll()));       // or: for await (const resp of w) ...
//   setInterval(() => hub.tickProgress(), progressIntervalMs);  // the host owns the timer
//   w.requestProgress(); w.cancel(); hub.close();
//
// Each WatchResponse is { kind: 'events' | 'progress' | 'canceled', watchId, revision, ... };
// `revision` is a bookmark (every matching event ≤ it has been delivered once it is taken).
export { WatchHub } from './watch-hub.js';
export type { WatchHubStats } from './watch-hub.js';
export { Watcher } from './watcher.js';
export type { WatcherGroup } from './watcher.js';
export { TooManyWatchesError, WatchInvalidArgumentError } from './errors.js';
export { defaultWatchHubLimits } from './types.js';
export type { WatchHubLimits, WatchRequest, WatchResponse } from './types.js';
