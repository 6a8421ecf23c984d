// `npm run docs -w @mini-dynamo/telemetry`: writes packages/telemetry/METRICS.md from the catalogue.
import { writeFileSync } from 'node:fs';
import { renderMetricsDoc } from './metrics-doc.js';

const METRICS_DOC_URL = new URL('../METRICS.md', import.meta.url);

writeFileSync(METRICS_DOC_URL, renderMetricsDoc());
console.log(`wrote ${METRICS_DOC_URL.pathname}`);
