#!/usr/bin/env node
// `mini-dynamo-traces <traces.jsonl>… [--slow-ms N] [--json]`: classifies every slow request of
// exported trace files (seed 000 categories, with its numbers) and prints the SLO report. Several
// files (e.g. one per process) are merged by trace id.
// Slow = TTFT at or above --slow-ms (default: the file's TTFT p95), or a failed request.

import { analyzeTraces, formatAnalysis } from './trace-analysis.js';
import { groupTraces, readTraceFile, type ParsedTraces } from './trace-file.js';

function main(argv: string[]): number {
  const args = argv.slice(2);
  const json = args.includes('--json');
  const slowAt = args.indexOf('--slow-ms');
  const slowMs = slowAt >= 0 ? Number(args[slowAt + 1]) : null;
  const files = args.filter((a, i) => !a.startsWith('--') && (slowAt < 0 || i !== slowAt + 1));
  if (files.length === 0 || (slowMs !== null && !Number.isFinite(slowMs))) {
    console.error('usage: mini-dynamo-traces <traces.jsonl>… [--slow-ms N] [--json]');
    return 2;
  }
  const all: ParsedTraces[] = [];
  for (const file of files) {
    try {
      all.push(readTraceFile(file));
    } catch (e) {
      console.error(`cannot read ${file}: ${(e as Error).message}`);
      return 1;
    }
  }
  const parsed: ParsedTraces = {
    traces: groupTraces(all.flatMap((p) => p.traces.flatMap((t) => t.spans))),
    numSpans: all.reduce((n, p) => n + p.numSpans, 0),
    numBadLines: all.reduce((n, p) => n + p.numBadLines, 0),
  };
  const analysis = analyzeTraces(parsed, slowMs);
  console.log(json ? JSON.stringify(analysis, null, 2) : formatAnalysis(analysis));
  return 0;
}

process.exitCode = main(process.argv);
