// @mini-dynamo/engine — entry point (filled in by its issue).
export {};
