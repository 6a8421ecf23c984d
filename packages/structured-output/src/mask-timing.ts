// Microbenchmark: cold vs warm (memoised) allowedTokenMask() on SmolLM2's 49152-token byte-level BPE vocabulary.
// Run: cd /work/main && npx tsc -b packages/structured-output && node packages/structured-output/dist/mask-timing.js [tokenizer.json]

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StructuredOutputSpec } from '@mini-dynamo/protocol';
import { createTokenConstraintFactory } from './token-constraint.js';

const DEFAULT_TOKENIZER = resolve(fileURLToPath(import.meta.url), '../../../../../shared/models/smollm2-135m-instruct-shape/tokenizer.json');

/** GPT-2 byte-level alphabet: the printable char standing for each byte. */
function byteDecoder(): Map<string, number> {
  const bytes = [...range(0x21, 0x7e), ...range(0xa1, 0xac), ...range(0xae, 0xff)];
  const chars = [...bytes];
  for (let b = 0, n = 0; b < 256; b++) if (!bytes.includes(b)) { bytes.push(b); chars.push(256 + n++); }
  return new Map(bytes.map((b, i) => [String.fromCodePoint(chars[i]!), b]));
}

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** tokenBytes for a byte-level BPE tokenizer.json: each token's bytes (partial characters too), specials null. */
function byteLevelTokenBytes(path: string): (Uint8Array | null)[] {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { model: { vocab: Record<string, number> }; added_tokens: { id: number }[] };
  const decoder = byteDecoder();
  const bytes: (Uint8Array | null)[] = [];
  for (const [token, id] of Object.entries(json.model.vocab)) bytes[id] = Uint8Array.from([...token], (ch) => decoder.get(ch) ?? 0);
  for (const added of json.added_tokens) bytes[added.id] = null;
  return Array.from(bytes, (b) => b ?? null);
}

const CASES: { name: string; spec: StructuredOutputSpec; prefix: string }[] = [
  { name: 'json_object, start', spec: { kind: 'json', schema: null }, prefix: '' },
  { name: 'schema, inside a free string', spec: { kind: 'json', schema: personSchema() }, prefix: '{"name": "Jo' },
  { name: 'schema, inside an integer', spec: { kind: 'json', schema: personSchema() }, prefix: '{"name": "Jo", "age": 4' },
  { name: 'schema, after a member', spec: { kind: 'json', schema: personSchema() }, prefix: '{"name": "Jo"' },
  { name: 'integer 0..120, after "1"', spec: { kind: 'json', schema: { type: 'integer', minimum: 0, maximum: 120 } }, prefix: '1' },
  { name: 'regex \\d{3}-\\d{4}, start', spec: { kind: 'regex', pattern: '\\d{3}-\\d{4}' }, prefix: '' },
  { name: 'choice of 3, start', spec: { kind: 'choice', choices: ['positive', 'negative', 'neutral'] }, prefix: '' },
];

function personSchema(): Record<string, unknown> {
  return { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } }, required: ['name'] };
}

function main(): void {
  const tokenBytes = byteLevelTokenBytes(process.argv[2] ?? DEFAULT_TOKENIZER);
  const vocab = { tokenBytes, eosTokenIds: [2] };
  const idOf = new Map(tokenBytes.map((b, id) => [b === null ? '' : String.fromCharCode(...b), id]));
  const t0 = performance.now();
  createTokenConstraintFactory(vocab);
  console.log(`vocabulary: ${tokenBytes.length} tokens; factory build ${(performance.now() - t0).toFixed(1)} ms`);
  for (const c of CASES) {
    const factory = createTokenConstraintFactory(vocab);
    const r = factory.create(c.spec);
    if (!r.ok) throw new Error(r.error.message);
    const ids = [...c.prefix].map((ch) => idOf.get(ch) ?? 0);
    for (const id of ids) if (!r.value.accept(id)) throw new Error(`prefix ${c.prefix} refused`);
    const coldStart = performance.now();
    const mask = r.value.allowedTokenMask();
    const coldMs = performance.now() - coldStart;
    const numWarm = 200;
    const warmStart = performance.now();
    for (let i = 0; i < numWarm; i++) r.value.allowedTokenMask();
    const warmMs = (performance.now() - warmStart) / numWarm;
    const numAllowed = mask.reduce((n, w) => n + popcount(w), 0);
    console.log(`${c.name.padEnd(30)} allowed ${String(numAllowed).padStart(6)}  cold ${coldMs.toFixed(2).padStart(8)} ms  warm ${warmMs.toFixed(4)} ms  cold/warm ${(coldMs / warmMs).toFixed(0)}x`);
  }
}

function popcount(w: number): number {
  let n = 0;
  for (let x = w >>> 0; x !== 0; x &= x - 1) n++;
  return n;
}

main();
