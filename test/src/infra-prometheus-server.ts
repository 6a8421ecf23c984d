// A real Prometheus (Debian `prometheus` binary) for integration tests: loopback only, 1 s scrape and
// rule evaluation, throwaway TSDB in a temp dir. Invariant: close() kills the process and removes
// the directory; start failures leave nothing running.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';

/** An ephemeral loopback port (for servers such as Prometheus that cannot report a port-0 bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface PrometheusServer {
  url: string;
  close(): Promise<void>;
  /** Instant query; the API's `data.result`. */
  query(expr: string, time?: number): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  logs(): string;
}

const PROMETHEUS_CANDIDATES = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'];

/**
 * Starts the Debian `prometheus` binary on loopback with a 1 s scrape/eval interval, scraping
 * `targets` (job → host:port list) and loading `ruleFiles`; resolves once /-/ready answers.
 */
export async function startPrometheus(targets: Record<string, string[]>, ruleFiles: string[]): Promise<PrometheusServer> {
  const bin = PROMETHEUS_CANDIDATES.find((p) => existsSync(p));
  if (!bin) throw new Error('prometheus not found: install the Debian package `prometheus`');
  const dir = mkdtempSync(join(tmpdir(), 'infra-prometheus-'));
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '900ms' },
    rule_files: ruleFiles,
    scrape_configs: Object.entries(targets).map(([job, list]) => ({ job_name: job, static_configs: [{ targets: list }] })),
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringifyYaml(config));
  // The free port can be taken between the probe and Prometheus' bind: then it exits, and we retry.
  for (let attempt = 1; ; attempt++) {
    const started = await launch(bin, dir, await freePort());
    if (started.ok) return started.server;
    if (!/address already in use/.test(started.error) || attempt === 3) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(started.error);
    }
  }
}

type Launch = { ok: true; server: PrometheusServer } | { ok: false; error: string };

/** One Prometheus process on `port`; resolves once /-/ready answers, or kills it and says why. */
async function launch(bin: string, dir: string, port: number): Promise<Launch> {
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--web.listen-address=127.0.0.1:${port}`,
    `--storage.tsdb.path=${join(dir, 'data')}`, '--log.level=warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const close = async () => {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) return { ok: false, error: `prometheus exited (${child.exitCode}):\n${output}` };
    // Another server could hold the port: only Prometheus' own answer counts.
    const ready = await fetch(`${url}/-/ready`).then(async (r) => r.ok && /Prometheus/i.test(await r.text()), () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      return { ok: false, error: `prometheus not ready after 30 s:\n${output}` };
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const query = async (expr: string, time?: number) => {
    const u = new URL('/api/v1/query', url);
    u.searchParams.set('query', expr);
    if (time !== undefined) u.searchParams.set('time', String(time));
    const body = (await (await fetch(u)).json()) as { status: string; error?: string; data: { result: any[] } };
    if (body.status !== 'success') throw new Error(`query failed: ${body.error} — ${expr}`);
    return body.data.result;
  };
  return { ok: true, server: { url, close, query, logs: () => output } };
}

/** Polls `check` every 250 ms until it returns a non-null value or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
