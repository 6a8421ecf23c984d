// @mini-dynamo/telemetry — entry point (filled in by its issue).
export {};
