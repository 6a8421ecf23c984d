// Service-level objectives for goodput (`--slo ttft=2000,tpot=25,e2e=10000`, milliseconds).
// A request is "good" when it succeeded and meets every objective that is set.

export interface Slo {
  ttftMs: number | null;
  tpotMs: number | null;
  e2eMs: number | null;
}

export const NO_SLO: Slo = Object.freeze({ ttftMs: null, tpotMs: null, e2eMs: null });

const KEYS: Record<string, keyof Slo> = { ttft: 'ttftMs', tpot: 'tpotMs', e2e: 'e2eMs' };

export function parseSlo(text: string | undefined): { ok: true; slo: Slo } | { ok: false; message: string } {
  const slo: Slo = { ...NO_SLO };
  if (!text) return { ok: true, slo };
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, raw] = part.split('=');
    const key = KEYS[(name ?? '').trim().toLowerCase()];
    const value = Number(raw);
    if (!key) return { ok: false, message: `unknown SLO "${name}" (use ttft, tpot, e2e)` };
    if (raw === undefined || !Number.isFinite(value) || value <= 0) {
      return { ok: false, message: `SLO ${name} needs a positive number of ms, got "${raw ?? ''}"` };
    }
    slo[key] = value;
  }
  return { ok: true, slo };
}

export function formatSlo(slo: Slo): string {
  const parts = Object.entries(KEYS)
    .filter(([, k]) => slo[k] !== null)
    .map(([name, k]) => `${name}=${slo[k]}`);
  return parts.length ? parts.join(',') : 'none';
}
