// Mooncake JSONL traces: {"timestamp": ms, "input_length", "output_length", "hash_ids": [...]} with
// one hash id per 512-token block; equal ids mean equal token blocks (a shared prefix). Parsing
// returns errors with line numbers as values; prompts are rebuilt so equal ids → equal tokens.

import { createRng, mixSeed, randomTokens, type TokenSpace } from './rng.js';
import type { Session } from './workload.js';

export const MOONCAKE_BLOCK_TOKENS = 512;

export interface MooncakeEntry {
  timestamp: number;
  inputLength: number;
  outputLength: number;
  hashIds: number[];
}

export type ParseResult = { ok: true; entries: MooncakeEntry[] } | { ok: false; message: string };

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

export function parseMooncakeLine(line: string): MooncakeEntry | string {
  let raw: any;
  try {
    raw = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (raw === null || typeof raw !== 'object') return 'not an object';
  const { timestamp, input_length, output_length, hash_ids } = raw;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < 0) return 'timestamp must be ms ≥ 0';
  if (!isCount(input_length) || input_length === 0) return 'input_length must be a positive integer';
  if (!isCount(output_length) || output_length === 0) return 'output_length must be a positive integer';
  if (!Array.isArray(hash_ids) || !hash_ids.every(isCount)) return 'hash_ids must be an array of integers ≥ 0';
  return { timestamp, inputLength: input_length, outputLength: output_length, hashIds: hash_ids };
}

export function parseMooncakeTrace(text: string): ParseResult {
  const entries: MooncakeEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const entry = parseMooncakeLine(line);
    if (typeof entry === 'string') return { ok: false, message: `trace line ${i + 1}: ${entry}` };
    entries.push(entry);
  }
  return { ok: true, entries };
}

export interface TraceReplayOptions {
  /** Multiply timestamps by this (0.5 = replay twice as fast). */
  timeScale: number;
  /** Tokens each hash id stands for (512 in Mooncake; smaller shrinks the trace for tiny models). */
  blockTokens: number;
  /** Multiply output lengths by this (rounded, at least 1). */
  outputScale: number;
  seed: number;
  tokenSpace: TokenSpace;
}

/** The token block a hash id stands for: a pure function of (seed, id, block length). */
export function hashIdBlock(hashId: number, blockTokens: number, seed: number, space: TokenSpace): number[] {
  return randomTokens(createRng(mixSeed(seed, 7, hashId)), blockTokens, space);
}

/** Exact prompt for one entry: blocks of its hash ids, input length scaled by blockTokens/512. */
export function entryPrompt(e: MooncakeEntry, index: number, o: TraceReplayOptions): number[] {
  const length = Math.max(1, Math.round((e.inputLength * o.blockTokens) / MOONCAKE_BLOCK_TOKENS));
  const tokens: number[] = [];
  for (const id of e.hashIds) {
    if (tokens.length >= length) break;
    tokens.push(...hashIdBlock(id, o.blockTokens, o.seed, o.tokenSpace));
  }
  if (tokens.length < length) {
    // More input than hash ids cover: the rest is unique to this request.
    tokens.push(...randomTokens(createRng(mixSeed(o.seed, 8, index)), length - tokens.length, o.tokenSpace));
  }
  return tokens.slice(0, length);
}

/** Earliest timestamp (a loop, not Math.min(...): traces can have millions of lines). */
export function firstTimestamp(entries: readonly MooncakeEntry[]): number {
  let t0 = entries.length ? entries[0]!.timestamp : 0;
  for (const e of entries) if (e.timestamp < t0) t0 = e.timestamp;
  return t0;
}

export function traceSessions(entries: readonly MooncakeEntry[], o: TraceReplayOptions): Session[] {
  const t0 = firstTimestamp(entries);
  return entries.map((e, i) => ({
    id: `t${i}`,
    group: e.hashIds.length ? `h${e.hashIds[0]}` : null,
    atMs: (e.timestamp - t0) * o.timeScale,
    turns: [{ promptTokenIds: entryPrompt(e, i, o), maxTokens: Math.max(1, Math.round(e.outputLength * o.outputScale)) }],
  }));
}

export function toMooncakeJsonl(entries: readonly MooncakeEntry[]): string {
  return entries
    .map((e) => JSON.stringify({ timestamp: e.timestamp, input_length: e.inputLength, output_length: e.outputLength, hash_ids: e.hashIds }))
    .join('\n') + '\n';
}
