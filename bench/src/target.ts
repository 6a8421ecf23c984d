// Where a run sends requests. Loopback only unless the user passes --allow-remote, so a typo in a
// URL can never load-test someone else's server.

export type ApiKind = 'completions' | 'chat';

export interface Target {
  baseUrl: string;
  api: ApiKind;
  model: string | null;
  apiKey: string | null;
  headers: Record<string, string>;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[?::1\]?|\[?::ffff:127(\.\d{1,3}){3}\]?)$/i;

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.test(url.hostname);
}

/** Normalise to ".../v1" without a trailing slash; refuse non-loopback hosts unless allowed. */
export function checkTarget(raw: string, allowRemote: boolean): { ok: true; baseUrl: string } | { ok: false; message: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: `not a URL: ${raw}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: `unsupported protocol ${url.protocol}` };
  if (!allowRemote && !isLoopbackUrl(url)) {
    return { ok: false, message: `refusing non-loopback target ${url.host}; pass --allow-remote to load-test a remote server` };
  }
  let path = url.pathname.replace(/\/+$/, '');
  if (!path.endsWith('/v1')) path += '/v1';
  return { ok: true, baseUrl: `${url.origin}${path}` };
}

/** The first model the server lists (GET /v1/models), when --model was not given. */
export async function discoverModel(t: Target): Promise<string> {
  const res = await fetch(`${t.baseUrl}/models`, { headers: authHeaders(t) });
  if (!res.ok) throw new Error(`GET /v1/models → HTTP ${res.status}`);
  const body = (await res.json()) as { data?: { id: string }[] };
  const id = body.data?.[0]?.id;
  if (!id) throw new Error('server lists no models; pass --model');
  return id;
}

/** --api-key, else MINI_DYNAMO_API_KEY (the server's own env var; OPENAI_API_KEY is not read, so a real
 *  OpenAI key in the shell is never sent to a --allow-remote target); null = no Authorization header. */
export function apiKeyFrom(flag: string | undefined, env: Record<string, string | undefined> = process.env): string | null {
  return flag ?? (env.MINI_DYNAMO_API_KEY || null);
}

export function authHeaders(t: Target): Record<string, string> {
  return { ...(t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : {}), ...t.headers };
}
