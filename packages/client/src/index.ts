// Public surface of @kite/client.
export {};
