// Reads the JSON files of a model folder (config.json, generation_config.json, tokenizer*.json, the shard index).
// Invariant: invalid JSON is an invalid_model failure, a required file's absence a missing_file one; both name the file.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fail } from './model-load-error.js';

export type Json = Record<string, any>;

/** The parsed file, or null when it does not exist. */
export async function readJsonIfPresent(path: string): Promise<Json | null> {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    return fail('invalid_model', `${basename(path)} is not valid JSON (${path}: ${(e as Error).message})`);
  }
}

/** The parsed file; a missing file is a missing_file failure. */
export async function readJson(path: string): Promise<Json> {
  return (await readJsonIfPresent(path)) ?? fail('missing_file', `${basename(path)} not found in the model folder (${path})`);
}
