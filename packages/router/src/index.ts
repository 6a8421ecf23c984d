// @mini-dynamo/router — entry point (filled in by its issue).
export {};
