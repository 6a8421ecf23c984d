// Writes a bench document to disk: <name>.json, <name>.md and its SVG charts in one folder.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJson, toMarkdown, type BenchDocument } from './run-result.js';

export interface WrittenOutputs {
  dir: string;
  files: string[];
}

export function writeOutputs(dir: string, name: string, doc: BenchDocument, charts: Map<string, string>, includeRecords: boolean): WrittenOutputs {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (file: string, text: string) => {
    writeFileSync(join(dir, file), text);
    files.push(join(dir, file));
  };
  write(`${name}.json`, toJson(doc, includeRecords));
  for (const [file, svg] of charts) write(file, svg);
  write(`${name}.md`, toMarkdown(doc, [...charts.keys()]));
  return { dir, files };
}

export function defaultOutDir(kind: string): string {
  return join('bench', 'out', `${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
}
