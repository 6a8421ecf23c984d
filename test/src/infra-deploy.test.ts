// Offline lint/schema gate for the deployment files: Kubernetes manifests against the bundled
// OpenAPI validators of `kubernetes-models` (+ prometheus-operator CRDs), infra/compose.yaml against
// the compose-spec schema and rules of `dclint`, the Dockerfile with `dockerfile-utils`; plus the
// wiring contracts (selectors match pods, GPU requests, scrape targets, mounted files exist).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validate as validateDockerfile } from 'dockerfile-utils';
import { parseWorkerArgs } from '@mini-dynamo/worker';
import { INFRA, listFiles, readYamlFile } from './infra-support.js';

type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any };

const K8S_DIR = join(INFRA, 'k8s');
const COMPOSE = join(INFRA, 'compose.yaml');
const DOCKERFILE = join(INFRA, 'docker', 'Dockerfile');

function loadManifests(): K8sObject[] {
  return listFiles(K8S_DIR, '.yaml').flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    assert.equal(d.errors.length, 0, `${file}: ${d.errors.join('; ')}`);
    return d.toJS() as K8sObject;
  }));
}

/** The kubernetes-models class module for an object (core group `v1` lives at the package root). */
function modelModule(obj: Pick<K8sObject, 'apiVersion' | 'kind'>): string {
  if (obj.apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${obj.apiVersion}/${obj.kind}`;
  return `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
}

/** Schema errors for one object, or null when it validates. */
async function schemaErrors(obj: K8sObject): Promise<string | null> {
  const mod = (await import(modelModule(obj))) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(obj).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const manifests = loadManifests();
const byKind = (kind: string) => manifests.filter((m) => m.kind === kind);

test('every Kubernetes manifest validates against its OpenAPI schema', async () => {
  assert.ok(manifests.length >= 8);
  for (const m of manifests) assert.equal(await schemaErrors(m), null, `${m.kind}/${m.metadata.name}`);
});

test('the schema validator rejects a malformed manifest (it can fail)', async () => {
  const worker = structuredClone(byKind('StatefulSet')[0]);
  worker.spec.template.spec.containers[0].ports[0].containerPort = 'http';
  assert.match((await schemaErrors(worker)) ?? '', /containerPort must be integer/);
  const noContainers = structuredClone(byKind('Deployment')[0]);
  delete noContainers.spec.template.spec.containers;
  assert.match((await schemaErrors(noContainers)) ?? '', /containers/);
});

test('the stack has gateway Deployment + Service, worker StatefulSet with GPUs, NATS and a ServiceMonitor', () => {
  const names = manifests.map((m) => `${m.kind}/${m.metadata.name}`);
  for (const n of ['Deployment/mini-dynamo-gateway', 'Service/mini-dynamo-gateway', 'StatefulSet/mini-dynamo-worker',
    'Service/mini-dynamo-worker', 'Deployment/nats', 'Service/nats', 'ServiceMonitor/mini-dynamo']) {
    assert.ok(names.includes(n), `missing ${n}`);
  }
  const worker = byKind('StatefulSet')[0].spec.template.spec.containers[0];
  assert.equal(worker.resources.requests['nvidia.com/gpu'], 1);
  assert.equal(worker.resources.limits['nvidia.com/gpu'], 1);
});

test('selectors match their pods and every Service port names a container port', () => {
  const workloads = manifests.filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet');
  for (const w of workloads) {
    const podLabels = w.spec.template.metadata.labels as Record<string, string>;
    for (const [k, v] of Object.entries(w.spec.selector.matchLabels as Record<string, string>)) assert.equal(podLabels[k], v, `${w.metadata.name} selector`);
  }
  for (const svc of byKind('Service')) {
    const target = workloads.find((w) => Object.entries(svc.spec.selector as Record<string, string>)
      .every(([k, v]) => w.spec.template.metadata.labels[k] === v));
    assert.ok(target, `Service ${svc.metadata.name} selects no workload`);
    const portNames = target.spec.template.spec.containers.flatMap((c: any) => (c.ports ?? []).map((p: any) => p.name));
    for (const p of svc.spec.ports) assert.ok(portNames.includes(p.targetPort), `${svc.metadata.name}: targetPort ${p.targetPort}`);
  }
});

test('gateway and worker pods are scraped: annotations, and the ServiceMonitor selects both Services', () => {
  const monitor = byKind('ServiceMonitor')[0];
  const selected = byKind('Service').filter((s) => {
    const labels = s.metadata.labels ?? {};
    const m = monitor.spec.selector;
    return Object.entries(m.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
      && (m.matchExpressions ?? []).every((e: any) => e.operator === 'In' && e.values.includes(labels[e.key]));
  }).map((s) => s.metadata.name).sort();
  assert.deepEqual(selected, ['mini-dynamo-gateway', 'mini-dynamo-worker']);
  for (const name of ['mini-dynamo-gateway', 'mini-dynamo-worker']) {
    const w = manifests.find((m) => m.metadata.name === name && m.kind !== 'Service')!;
    const a = w.spec.template.metadata.annotations;
    assert.equal(a['prometheus.io/scrape'], 'true');
    const port = Number(a['prometheus.io/port']);
    assert.ok(w.spec.template.spec.containers[0].ports.some((p: any) => p.containerPort === port), `${name}: scrape port`);
  }
});

function dclint(file: string): { status: number | null; output: string } {
  const pkg = createRequire(import.meta.url).resolve('dclint/package.json');
  const run = spawnSync(process.execPath, [join(dirname(pkg), 'bin', 'dclint.cjs'), file], { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

test('infra/compose.yaml passes dclint (compose-spec schema + lint rules) with no findings', () => {
  const run = dclint(COMPOSE);
  assert.equal(run.status, 0, run.output);
  assert.doesNotMatch(run.output, /warning|error/, run.output);
});

test('dclint rejects an invalid compose file (it can fail)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'infra-compose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'compose.yaml');
  writeFileSync(bad, 'services:\n  gateway:\n    image: mini-dynamo/gateway:0.1.0\n    replicas_typo: 2\n');
  const run = dclint(bad);
  assert.notEqual(run.status, 0);
  assert.match(run.output, /invalid-schema|additional properties/);
});

test('compose runs gateway, workers, nats, prometheus, grafana and an OTLP trace backend, mounting files that exist', () => {
  const compose = readYamlFile(COMPOSE);
  const services = compose.services as Record<string, any>;
  for (const s of ['gateway', 'worker', 'nats', 'prometheus', 'grafana', 'jaeger']) assert.ok(services[s], `service ${s}`);
  assert.equal(services.jaeger.environment.COLLECTOR_OTLP_ENABLED, 'true');
  assert.match(services.gateway.environment.OTEL_EXPORTER_OTLP_ENDPOINT, /^http:\/\/jaeger:4318$/);
  for (const [name, svc] of Object.entries(services)) {
    for (const v of (svc.volumes ?? []) as string[]) {
      const host = v.split(':')[0];
      if (!host.startsWith('./')) continue;
      assert.ok(existsSync(resolve(INFRA, host)), `${name}: ${host} does not exist`);
    }
    if (svc.build) assert.ok(existsSync(resolve(INFRA, svc.build.context, svc.build.dockerfile)), `${name}: dockerfile`);
  }
  const prometheus = readYamlFile(join(INFRA, 'prometheus', 'prometheus.yml'));
  const jobs = prometheus.scrape_configs.map((j: any) => j.job_name);
  assert.ok(jobs.includes('mini-dynamo-gateway') && jobs.includes('mini-dynamo-worker'));
  assert.deepEqual(prometheus.scrape_configs[0].static_configs[0].targets, ['gateway:8000']);
});

test('the Dockerfile lints clean and builds gateway and worker targets that run the CLI', () => {
  const text = readFileSync(DOCKERFILE, 'utf8');
  assert.deepEqual(validateDockerfile(text).map((d) => d.message), []);
  assert.ok(validateDockerfile('FROM node:20\nEXPOSE http\nFOO bar\n').length >= 2, 'the linter must flag bad instructions');
  const targets = [...text.matchAll(/^FROM\s+\S+\s+AS\s+(\S+)/gim)].map((m) => m[1]);
  for (const t of ['build', 'gateway', 'worker']) assert.ok(targets.includes(t), `target ${t}`);
  assert.match(text, /ENTRYPOINT \["node", "packages\/gateway\/dist\/cli\.js"\]/);
  assert.ok(existsSync(join(INFRA, '..', 'packages', 'gateway', 'src', 'cli.ts')), 'the CLI the image runs exists');
});

test('the worker entrypoint passes only flags the standalone worker accepts', () => {
  const script = readFileSync(join(INFRA, 'docker', 'worker-entrypoint.sh'), 'utf8');
  const invocation = script.slice(script.indexOf('cli.js worker'), script.indexOf('"$@"'));
  const flags = invocation.match(/--[a-z-]+/g) ?? [];
  assert.deepEqual(flags, ['--nats', '--worker-id', '--advertise-host', '--host', '--port', '--model', '--device']);
  const sample: Record<string, string> = { '--port': '8081', '--device': 'cpu', '--host': '0.0.0.0' };
  const parsed = parseWorkerArgs(flags.flatMap((f) => [f, sample[f] ?? 'from-env']));
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.message);
  assert.equal(parsed.value.port, 8081);
});

/** Runs a NATS start command with a stand-in `nats-server` on PATH that prints the arguments it got, one per line. */
function natsArgs(command: string[], env: Record<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'infra-nats-'));
  try {
    writeFileSync(join(dir, 'nats-server'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done\n', { mode: 0o755 });
    const [shell, ...rest] = command;
    const run = spawnSync(shell === '/bin/sh' ? 'sh' : shell!, rest, { env: { PATH: `${dir}:${process.env.PATH}`, ...env }, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.split('\n').filter((l) => l !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('NATS requires the cluster token exactly when it is set, in compose and in Kubernetes', () => {
  const nats = (readYamlFile(COMPOSE).services as Record<string, any>).nats;
  const composeCommand = (nats.entrypoint as string[]).map((a) => a.replaceAll('$$', '$')); // compose's escape
  const pod = byKind('Deployment').find((d) => d.metadata.name === 'nats')!.spec.template.spec.containers[0];
  assert.equal(pod.env[0].valueFrom.secretKeyRef.name, 'mini-dynamo-cluster-token');
  assert.equal(pod.env[0].valueFrom.secretKeyRef.optional, true);
  const token = 'tok en $HOME "x"'; // spaces, a dollar and quotes survive as one argument
  for (const command of [composeCommand, [...pod.command, ...pod.args]]) {
    assert.deepEqual(natsArgs(command, {}), ['--jetstream', '--http_port', '8222']);
    assert.deepEqual(natsArgs(command, { MINI_DYNAMO_CLUSTER_TOKEN: token }), ['--jetstream', '--http_port', '8222', '--auth', token]);
  }
  const compose = readYamlFile(COMPOSE);
  assert.ok('MINI_DYNAMO_CLUSTER_TOKEN' in (compose['x-app-env'] as object), 'gateway and workers get the token too');
});
