// @mini-dynamo/gateway — entry point (filled in by its issue).
export {};
