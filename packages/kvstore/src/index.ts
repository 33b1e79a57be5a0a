// Public surface of @kite/kvstore.
export {};
