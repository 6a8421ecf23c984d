// Connecting to NATS with the cluster token (--cluster-token) or credentials in the URL (nats://user:pass@h,
// nats://token@h: nats.js ignores URL userinfo, so it is moved into the options). Invariants: a refused or
// unreachable NATS is a Result naming the flag; no credential reaches a log (redactNatsUrl).

import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { err, ok, type Result } from '@mini-dynamo/protocol';

export interface NatsConnectFailure { code: 'nats_auth_failed' | 'nats_unreachable'; message: string }

/** nats.js options for `url` (userinfo stripped into user/pass or token); an explicit cluster token wins. */
export function natsConnectOptions(url: string, clusterToken: string | undefined, name: string): ConnectionOptions {
  const parsed = parseUrl(url);
  if (parsed === null || (parsed.username === '' && parsed.password === '')) {
    return { servers: url, name, ...(clusterToken ? { token: clusterToken } : {}) };
  }
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  const credentials = parsed.password === '' ? { token: user } : { user, pass };
  return { servers: redactNatsUrl(url), name, ...credentials, ...(clusterToken ? { token: clusterToken } : {}) };
}

/** `url` without its userinfo, for logs and messages. */
export function redactNatsUrl(url: string): string {
  const parsed = parseUrl(url);
  if (parsed === null || (parsed.username === '' && parsed.password === '')) return url;
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}

/** Connects (see natsConnectOptions); an authorization refusal names --cluster-token and its env var. */
export async function connectNats(url: string, clusterToken: string | undefined, name: string): Promise<Result<NatsConnection, NatsConnectFailure>> {
  const where = redactNatsUrl(url);
  try {
    return ok(await connect(natsConnectOptions(url, clusterToken, name)));
  } catch (e) {
    const error = e as Error & { code?: string };
    if (error.code === 'AUTHORIZATION_VIOLATION' || error.code === 'AUTHENTICATION_EXPIRED') {
      const had = clusterToken ? 'rejected the cluster token' : 'requires a token and none was given';
      return err({ code: 'nats_auth_failed', message: `NATS at ${where} ${had}: set --cluster-token (or MINI_DYNAMO_CLUSTER_TOKEN) to the token the NATS server and workers use` });
    }
    return err({ code: 'nats_unreachable', message: `cannot connect to NATS at ${where}: ${error.message}` });
  }
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url.includes('://') ? url : `nats://${url}`);
  } catch {
    return null;
  }
}
