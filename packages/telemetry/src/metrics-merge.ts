// Merges several Prometheus text expositions (the gateway's registry plus each in-process worker's)
// into one valid exposition: one HELP/TYPE per family, samples of all sources under it.
// Invariant: sources must not share a series (workers differ by their `worker_id` label).

interface Family {
  header: string[];
  samples: string[];
}

function familyOf(line: string): string | null {
  const m = /^# (?:HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  return m ? m[1]! : null;
}

export function mergeExpositions(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  for (const text of texts) {
    let current: Family | null = null;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const name = familyOf(line);
      if (name !== null) {
        let fam = families.get(name);
        if (!fam) families.set(name, (fam = { header: [], samples: [] }));
        const kind = line.slice(0, 6);
        if (!fam.header.some((h) => h.startsWith(kind))) fam.header.push(line);
        current = fam;
      } else if (!line.startsWith('#') && current) {
        current.samples.push(line);
      }
    }
  }
  const out: string[] = [];
  for (const fam of families.values()) out.push(...fam.header, ...fam.samples);
  return out.length ? out.join('\n') + '\n' : '';
}
