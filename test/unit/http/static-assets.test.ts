import { afterAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeSuite } from '../../support/before-suite.ts';
import { ASSETS_DIR, makeTestApp, type TestApp } from '../../support/test-deps.ts';

// The app's own /assets (served by @elysiajs/static), as the page and the binary see it.
let t: TestApp;
beforeSuite(async () => {
  t = await makeTestApp({ seed: false });
});
afterAll(async () => {
  await t?.cleanup();
});
const get = (path: string, headers: Record<string, string> = {}) => t.request(path, { headers });

test('each file is served with its type, a content ETag and a day of caching', async () => {
  for (const [path, type] of [
    ['/assets/app.css', 'text/css'],
    ['/assets/app.js', 'text/javascript'],
    ['/assets/vendor/htmx.min.js', 'text/javascript'],
    ['/assets/favicon.svg', 'image/svg+xml'],
  ] as const) {
    const res = await get(path);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-type'), path).toStartWith(type);
    expect(res.headers.get('cache-control'), path).toBe('public, max-age=86400');
    expect(
      Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(ASSETS_DIR, path.slice('/assets/'.length)))),
    ).toBe(true);
  }
});

test('a matching If-None-Match answers 304 with no body; another tag gets the file', async () => {
  const etag = (await get('/assets/app.css')).headers.get('etag') as string;
  expect(etag).toBeTruthy();
  const res = await get('/assets/app.css', { 'if-none-match': etag });
  expect(res.status).toBe(304);
  expect(await res.text()).toBe('');
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
