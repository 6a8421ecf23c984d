// Resolves a local JSON pointer ('' or '/a/b~1c') inside a schema document for '$ref'.
// Invariant: never throws; `found` is false when any step is missing.

export function resolvePointer(doc: unknown, pointer: string): { found: boolean; value: unknown } {
  if (pointer === '') return { found: true, value: doc };
  if (!pointer.startsWith('/')) return { found: false, value: undefined };
  let value: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, token)) return { found: false, value: undefined };
    value = (value as Record<string, unknown>)[token];
  }
  return { found: true, value };
}
