// Public surface of @kite/server.
export {};
