import { extname, join, sep } from 'node:path';
import { Elysia, NotFoundError } from 'elysia';

export interface StaticAssetsOptions {
  /** The folder served: the checkout's `assets/`, or the copy embedded in the compiled binary. */
  root: string;
  /** @default '/assets' */
  prefix?: string;
}

/**
 * Explicit types for what the page loads: Bun's guess would do for most, but these are the ones
 * `X-Content-Type-Options: nosniff` makes the browser hold us to.
 */
const CONTENT_TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The URLs are not fingerprinted, so a browser keeps a file for a day, then revalidates it with
 * its ETag (a 304 costs no body).
 */
const CACHE_CONTROL = 'public, max-age=86400';

/**
 * Serves the files of one folder at `prefix/*`, from disk or from the binary's embedded copy alike
 * (both are read with `Bun.file`); anything else is the app's own 404. Only plain relative names are served: no `..`, no hidden
 * files, no directories. The ETag is a hash of the content, so it is the same on every replica
 * and changes with the file, never with its mtime (embedded files have none).
 */
export function staticAssets({ root, prefix = '/assets' }: StaticAssetsOptions) {
  return new Elysia({ name: 'static-assets', seed: { root, prefix } }).get(
    `${prefix}/*`,
    async ({ params, headers }) => {
      const name = params['*'];
      if (!isServableName(name)) throw new NotFoundError();
      const file = Bun.file(join(root, name));
      if (!(await file.exists())) throw new NotFoundError();
      const bytes = await file.bytes();
      const etag = `"${Bun.hash(bytes).toString(36)}"`;
      const cacheHeaders = { etag, 'cache-control': CACHE_CONTROL };
      if (matchesETag(headers['if-none-match'], etag))
        return new Response(null, { status: 304, headers: cacheHeaders });
      return new Response(bytes, {
        headers: { ...cacheHeaders, 'content-type': CONTENT_TYPES[extname(name).toLowerCase()] ?? file.type },
      });
    },
  );
}

function isServableName(name: string | undefined): name is string {
  if (!name || name.includes('\\') || name.includes('\0')) return false;
  return name.split('/').every((part) => part !== '' && !part.startsWith('.') && !part.includes(sep));
}

/** RFC 9110 §13.1.2: If-None-Match compares weakly, and may list several tags or be `*`. */
function matchesETag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
