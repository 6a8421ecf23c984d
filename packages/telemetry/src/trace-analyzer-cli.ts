#!/usr/bin/env node
// `mini-dynamo-traces <traces.jsonl> [--slow-ms N] [--json]`: classifies every slow request of an
// exported trace file (seed 000 categories, with its numbers) and prints the SLO report.
// Slow = TTFT at or above --slow-ms (default: the file's TTFT p95), or a failed request.

import { analyzeTraces, formatAnalysis } from './trace-analysis.js';
import { readTraceFile } from './trace-file.js';

function main(argv: string[]): number {
  const args = argv.slice(2);
  const json = args.includes('--json');
  const slowAt = args.indexOf('--slow-ms');
  const slowMs = slowAt >= 0 ? Number(args[slowAt + 1]) : null;
  const file = args.find((a, i) => !a.startsWith('--') && (slowAt < 0 || i !== slowAt + 1));
  if (!file || (slowMs !== null && !Number.isFinite(slowMs))) {
    console.error('usage: mini-dynamo-traces <traces.jsonl> [--slow-ms N] [--json]');
    return 2;
  }
  let parsed;
  try {
    parsed = readTraceFile(file);
  } catch (e) {
    console.error(`cannot read ${file}: ${(e as Error).message}`);
    return 1;
  }
  const analysis = analyzeTraces(parsed, slowMs);
  console.log(json ? JSON.stringify(analysis, null, 2) : formatAnalysis(analysis));
  return 0;
}

process.exitCode = main(process.argv);
