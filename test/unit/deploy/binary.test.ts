import { afterAll, expect, test } from 'bun:test';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subprocess } from 'bun';
import { beforeSuite } from '../../support/before-suite.ts';
import { readText } from '../../support/server-process.ts';

/**
 * The compiled binary, alone in an empty folder, is the whole app: it serves the styled page
 * (assets embedded), answers offline from the sample corpus (embedded too) and needs no file
 * beside it. Built once, with package.json's own build command, into a temporary folder.
 */
const ROOT = join(import.meta.dir, '..', '..', '..');
const work = mkdtempSync(join(tmpdir(), 'ragchat-binary-'));
const alone = join(work, 'empty');
let server: Subprocess<'ignore', 'pipe', 'pipe'> | null = null;
let url = '';
let log = '';

beforeSuite(async () => {
  const build = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.build as string;
  const [bun, ...args] = build.replace('--outfile dist/ragchat', `--outfile ${join(work, 'ragchat')}`).split(' ');
  expect(bun).toBe('bun');
  const built = Bun.spawn([process.execPath, ...args], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  if ((await built.exited) !== 0) throw new Error(`the build failed: ${await new Response(built.stderr).text()}`);
  Bun.spawnSync(['mkdir', alone]);
  copyFileSync(join(work, 'ragchat'), join(alone, 'ragchat'));
  Bun.spawnSync(['chmod', '+x', join(alone, 'ragchat')]);
  server = Bun.spawn([join(alone, 'ragchat')], {
    cwd: alone,
    // Nothing of this machine's environment: no key, no URL, no checkout to fall back on.
    env: { PATH: '/usr/bin:/bin', PORT: '0', DATA_DIR: join(alone, 'data') },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const append = (text: string) => {
    log += text;
  };
  void readText(server.stdout, append);
  void readText(server.stderr, append);
  const deadline = Date.now() + 15_000;
  // It listens first, then reads the sample corpus.
  while (!url || !log.includes('ingested the sample documents')) {
    url = log.match(/"message":"ragchat is listening","url":"([^"]+)"/)?.[1] ?? '';
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`the binary did not start: ${log}`);
    await Bun.sleep(20);
  }
});

afterAll(async () => {
  server?.kill('SIGTERM');
  await server?.exited;
  rmSync(work, { recursive: true, force: true });
});

test('alone in an empty folder, the binary serves the page with every stylesheet, script and icon it links', async () => {
  const page = await fetch(`${url}/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const linked = [...html.matchAll(/<(?:link[^>]*href|script[^>]*src)="(\/assets\/[^"]+)"/g)].map(
    (m) => m[1] as string,
  );
  expect(linked).toEqual(
    expect.arrayContaining([
      '/assets/app.css',
      '/assets/app.js',
      '/assets/vendor/htmx.min.js',
      '/assets/vendor/hx-sse.min.js',
      '/assets/favicon.svg',
    ]),
  );
  const types: Record<string, RegExp> = { css: /^text\/css/, js: /^text\/javascript/, svg: /^image\/svg\+xml/ };
  for (const path of linked) {
    const res = await fetch(`${url}${path}`);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-type') ?? '', path).toMatch(types[path.split('.').at(-1) as string] as RegExp);
    expect(res.headers.get('etag'), path).toBeTruthy();
    // The very bytes of the checkout's file.
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(ROOT, path.slice(1)))), path).toBe(true);
  }
  const etag = (await fetch(`${url}/assets/app.css`)).headers.get('etag') ?? '';
  expect((await fetch(`${url}/assets/app.css`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  expect((await fetch(`${url}/assets/nope.css`)).status).toBe(404);
});

test('it seeded the embedded sample corpus and answers offline, citing it', async () => {
  expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
  const res = await fetch(`${url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: 'How do I start ragchat on my laptop?' }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { response: string; sources: { source: string }[] };
  expect(body.sources.length).toBeGreaterThan(0);
  expect(body.sources.map((s) => s.source)).toContainEqual(expect.stringMatching(/^sample-docs\/[a-z-]+\.md$/));
  // Nothing beside the binary but the data folder it was given.
  expect(readdirSync(alone).sort()).toEqual(['data', 'ragchat']);
});
