// @mini-dynamo/worker — entry point (filled in by its issue).
export {};
