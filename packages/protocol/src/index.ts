// Public surface of @kite/protocol.
export {};
