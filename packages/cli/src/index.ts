// Public surface of @kite/cli.
export {};
