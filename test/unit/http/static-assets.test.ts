import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import { staticAssets } from '../../../src/http/static-assets.ts';
import { ASSETS_DIR } from '../../support/test-deps.ts';

const app = new Elysia().use(staticAssets({ root: ASSETS_DIR }));
const get = (path: string, headers: Record<string, string> = {}) =>
  app.handle(new Request(`http://localhost${path}`, { headers }));

test('each file is served with its type, a content ETag and a day of caching', async () => {
  for (const [path, type] of [
    ['/assets/app.css', 'text/css; charset=utf-8'],
    ['/assets/app.js', 'text/javascript; charset=utf-8'],
    ['/assets/vendor/htmx.min.js', 'text/javascript; charset=utf-8'],
    ['/assets/favicon.svg', 'image/svg+xml'],
  ] as const) {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-type'), path).toBe(type);
    expect(res.headers.get('cache-control'), path).toBe('public, max-age=86400');
    expect(
      Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(ASSETS_DIR, path.slice('/assets/'.length)))),
    ).toBe(true);
  }
});

test('a matching If-None-Match (weak, listed or *) answers 304 with the tag; another tag gets the file', async () => {
  const etag = (await get('/assets/app.css')).headers.get('etag') as string;
  expect(etag).toMatch(/^"[0-9a-z]+"$/);
  for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
    const res = await get('/assets/app.css', { 'if-none-match': header });
    expect(res.status, header).toBe(304);
    expect(res.headers.get('etag')).toBe(etag);
    expect(await res.text()).toBe('');
  }
  expect((await get('/assets/app.css', { 'if-none-match': '"other"' })).status).toBe(200);
});

test('only plain names inside the folder are served: no traversal, hidden file or directory', async () => {
  for (const path of [
    '/assets/nope.css',
    '/assets/vendor',
    '/assets/vendor/',
    '/assets/../package.json',
    '/assets/%2e%2e/package.json',
    '/assets/vendor/%2e%2e/%2e%2e/package.json',
    '/assets/.gitignore',
    '/assets/..%5c..%5cpackage.json',
  ]) {
    expect((await get(path)).status, path).toBe(404);
  }
});
