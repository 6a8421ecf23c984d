// The `serve` checks of infra/gpu/measure.sh, run with the bundle's node from inside its app/ (so `openai` resolves):
// greedy completions of the primary server (CUDA EP) equal the baseline's (CPU EP), dynamo_gpu_* series on /metrics,
// and a streamed chat answer through the official openai client. Writes one JSON; exit 1 when a required check fails.
// Usage: node serve-check.mjs --primary URL --baseline URL --model NAME --out FILE [--expect-gpu-metrics]

import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import OpenAI from 'openai';

const PROMPTS = ['Once upon a time', 'The little dog wanted to'];
const MAX_TOKENS = 64;

const { values } = parseArgs({ options: {
  primary: { type: 'string' }, baseline: { type: 'string' }, model: { type: 'string', default: 'stories260K' },
  out: { type: 'string' }, 'expect-gpu-metrics': { type: 'boolean', default: false },
} });
if (!values.primary || !values.baseline || !values.out) {
  console.error('usage: serve-check.mjs --primary URL --baseline URL --model NAME --out FILE [--expect-gpu-metrics]');
  process.exit(2);
}

async function greedy(url, prompt) {
  const res = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: values.model, prompt, max_tokens: MAX_TOKENS, temperature: 0 }) });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return { text: body.choices[0].text, usage: body.usage ?? null };
}

/** dynamo_gpu_* sample lines; polls up to 20 s since the worker queries nvidia-smi every 5 s. */
async function gpuMetricLines(url) {
  let lines = [];
  for (let i = 0; i < 20; i++) {
    const text = await (await fetch(`${url}/metrics`)).text();
    lines = text.split('\n').filter((l) => l.startsWith('dynamo_gpu_'));
    if (lines.length > 0 || !values['expect-gpu-metrics']) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return lines;
}

async function streamed(url) {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x' });
  const t0 = performance.now();
  let text = '', numChunks = 0, finishReason = null, firstTokenMs = null;
  const stream = await client.chat.completions.create({ model: values.model, stream: true, max_tokens: MAX_TOKENS, temperature: 0,
    messages: [{ role: 'user', content: 'Tell me a story' }] });
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta?.content ?? '';
    if (delta !== '' && firstTokenMs === null) firstTokenMs = performance.now() - t0;
    text += delta;
    numChunks++;
    finishReason = chunk.choices[0]?.finish_reason ?? finishReason;
  }
  return { text, numChunks, finishReason, firstTokenMs, totalMs: performance.now() - t0 };
}

const greedyRows = [];
for (const prompt of PROMPTS) {
  const [p, b] = [await greedy(values.primary, prompt), await greedy(values.baseline, prompt)];
  greedyRows.push({ prompt, primaryText: p.text, baselineText: b.text, equal: p.text === b.text, completionTokens: p.usage?.completion_tokens ?? null });
}
const gpuLines = await gpuMetricLines(values.primary);
const stream = await streamed(values.primary);
const checks = {
  greedyEqual: greedyRows.every((r) => r.equal),
  gpuMetrics: values['expect-gpu-metrics'] ? gpuLines.length > 0 : null,
  stream: stream.text.length > 0 && stream.finishReason !== null,
};
const result = { tool: 'serve-check', model: values.model, maxTokens: MAX_TOKENS, primary: values.primary, baseline: values.baseline,
  greedy: greedyRows, gpuMetricLines: gpuLines, stream, checks };
writeFileSync(values.out, JSON.stringify(result, null, 2));
for (const r of greedyRows) console.log(`greedy ${r.equal ? 'EQUAL' : 'DIFFERENT'} for ${JSON.stringify(r.prompt)}:\n  primary : ${JSON.stringify(r.primaryText)}\n  baseline: ${JSON.stringify(r.baselineText)}`);
console.log(`dynamo_gpu_* series: ${gpuLines.length}${gpuLines.length > 0 ? `\n  ${gpuLines.join('\n  ')}` : ''}`);
console.log(`streamed (openai client, ${stream.numChunks} chunks, finish ${stream.finishReason}, first token ${stream.firstTokenMs?.toFixed(0)} ms): ${JSON.stringify(stream.text)}`);
console.log(`checks: ${JSON.stringify(checks)}`);
process.exitCode = checks.greedyEqual && checks.gpuMetrics !== false && checks.stream ? 0 : 1;
