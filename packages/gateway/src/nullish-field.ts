// The zod wrapper of an optional request field: null (what OpenAI clients send for an unset field) reads as absent.
// Invariant: a parsed body holds undefined, never null, for a field not given.

import type { z } from 'zod';

export const nullish = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);
