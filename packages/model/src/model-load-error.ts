// Expected failures of loading a model or tokenizer folder, as values (never thrown to callers).
// Invariant: every message names the file or architecture at fault.

import { err, ok, type Result } from '@mini-dynamo/protocol';

export type ModelLoadErrorCode = 'missing_file' | 'unsupported_architecture' | 'invalid_model';

export interface ModelLoadError {
  code: ModelLoadErrorCode;
  message: string;
}

/** Thrown inside loaders only, converted to a Result at the public boundary (loadModel, loadTokenizer). */
export class ModelLoadFailure extends Error {
  constructor(readonly error: ModelLoadError) {
    super(error.message);
  }
}

export function fail(code: ModelLoadErrorCode, message: string): never {
  throw new ModelLoadFailure({ code, message });
}

/** Run a loader, turning ModelLoadFailure (and any unexpected error, as invalid_model) into a Result. */
export async function catchModelLoad<T>(what: string, work: () => Promise<T>): Promise<Result<T, ModelLoadError>> {
  try {
    return ok(await work());
  } catch (e) {
    if (e instanceof ModelLoadFailure) return err(e.error);
    return err({ code: 'invalid_model', message: `failed to load ${what}: ${(e as Error).message}` });
  }
}
