// Reads the member list at the start of a registry tarball without downloading all of it: streams the .tgz,
// gunzips, walks tar headers and stops once `stopAt` is reached (or after maxBytes of compressed data).

import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';

export interface TarMember { name: string; size: number }

/** Tar headers (ustar name + prefix; PAX/GNU extension records skipped) found in a prefix of the archive. */
export function parseTarHeaders(buf: Buffer): TarMember[] {
  const members: TarMember[] = [];
  let off = 0;
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512);
    if (header.every((b) => b === 0)) break;
    const str = (a: number, b: number): string => header.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = str(156, 157);
    const prefix = str(345, 500);
    if (type !== 'x' && type !== 'g' && type !== 'L') members.push({ name: prefix ? `${prefix}/${str(0, 100)}` : str(0, 100), size });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}

/** Members of a remote .tgz up to and including the first whose name ends with stopAt. */
export async function leadingMembers(url: string, stopAt: string, maxBytes = 4 * 1024 * 1024): Promise<TarMember[]> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  if (!res.ok || res.body === null) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const gunzip = createGunzip();
  const chunks: Buffer[] = [];
  let read = 0;
  let found: TarMember[] = [];
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  body.on('data', (c: Buffer) => { read += c.length; });
  body.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      chunks.push(chunk as Buffer);
      found = parseTarHeaders(Buffer.concat(chunks)); // a prefix: headers past its end are simply not seen yet
      if (found.some((m) => m.name.endsWith(stopAt)) || read > maxBytes) break;
    }
  } finally {
    controller.abort();
    body.destroy();
    gunzip.destroy();
  }
  return found;
}
