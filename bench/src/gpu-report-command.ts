// `bench gpu-report --dir <folder> [--dir …] [--write bench/RESULTS.md] [--allow-missing]`: renders the GPU section
// from the files infra/gpu/measure.sh wrote; --write splices it between the gpu-report markers of the page and puts
// the charts and the input JSONs under results/gpu/ beside it. Without --write it only prints the section.

import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { readGpuReportInputs, type GpuReportInputs } from './gpu-report-inputs.js';
import { gpuRows, loadReportShapes } from './gpu-report.js';
import { deviceLine, gpuThroughputCharts, renderGpuReport, replaceMarkedSection } from './gpu-report-markdown.js';

export const GPU_REPORT_USAGE = 'usage: bench gpu-report --dir <folder with measure.sh output> [--dir …] [--write bench/RESULTS.md] [--allow-missing]';

export async function main(args: string[] = process.argv.slice(2)): Promise<number> {
  const { values } = parseArgs({ args, options: {
    dir: { type: 'string', multiple: true, default: [] }, write: { type: 'string' }, 'allow-missing': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  } });
  if (values.help || values.dir.length === 0) {
    console.log(GPU_REPORT_USAGE);
    return values.help ? 0 : 2;
  }
  let inputs: GpuReportInputs;
  try {
    inputs = readGpuReportInputs(values.dir, { allowMissing: values['allow-missing'] });
  } catch (e) {
    console.error(`gpu-report: ${(e as Error).message}`);
    return 1;
  }
  const rows = gpuRows(inputs, await loadReportShapes());
  const command = `npm run bench -- gpu-report ${values.dir.map((d) => `--dir ${d}`).join(' ')}${values.write ? ` --write ${values.write}` : ''}`;
  if (values.write === undefined) {
    console.log(renderGpuReport(inputs, rows, { command, chartLinks: [] }));
    return 0;
  }
  const page = values.write;
  const resultsDir = join(dirname(page), 'results', 'gpu');
  mkdirSync(resultsDir, { recursive: true });
  const charts = gpuThroughputCharts(rows, deviceLine(inputs).gpu === null);
  for (const c of charts) writeFileSync(join(resultsDir, c.file), c.svg);
  for (const p of Object.values(inputs.paths)) if (p !== null) copyFileSync(p, join(resultsDir, basename(p)));
  const chartLinks = charts.map((c) => `![${c.file}](${relative(dirname(page), join(resultsDir, c.file))})`);
  const section = renderGpuReport(inputs, rows, { command, chartLinks });
  const before = existsSync(page) ? readFileSync(page, 'utf8') : '';
  writeFileSync(page, replaceMarkedSection(before, section));
  console.log(section);
  console.log(`wrote ${page} (gpu-report section) and ${charts.length} charts + ${Object.values(inputs.paths).filter(Boolean).length} JSON files in ${resultsDir}`);
  return 0;
}
