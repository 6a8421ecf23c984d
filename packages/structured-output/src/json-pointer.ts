// Local JSON pointers ('' or '/a/b~1c'): resolving one inside a schema document for '$ref', escaping a token of one.
// Invariant: never throws; `found` is false when any step is missing; escapePointer inverts resolvePointer's unescaping.

/** A reference token as a pointer writes it ('~' → '~0', '/' → '~1'). */
export function escapePointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

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
