import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpenAiStandIn } from '../support/openai-stand-in.ts';

/** The real entry points as processes: what `npm start` and `npm run ingest` run. */
const ROOT = join(import.meta.dir, '..', '..');
const BUN = process.execPath;

test('a bad configuration stops the start with one message naming every bad variable', async () => {
  const proc = Bun.spawn([BUN, 'run', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: 'x', LOG_LEVEL: 'chatty', DATA_DIR: '/tmp/never-used' },
    stderr: 'pipe',
    stdout: 'pipe',
  });
  expect(await proc.exited).toBe(1);
  const err = await new Response(proc.stderr).text();
  expect(err).toContain('Invalid configuration');
  expect(err).toContain('PORT');
  expect(err).toContain('LOG_LEVEL');
  expect(err).not.toMatch(/at .*\.ts:\d+/);
});

test('the first start ingests the sample corpus and answers; SIGTERM stops it cleanly', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-main-'));
  const proc = Bun.spawn([BUN, 'run', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      OPENAI_API_KEY: '',
      LLM_BASE_URL: '',
      EMBEDDINGS_BASE_URL: '',
    },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  try {
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    let out = '';
    let url = '';
    // The server listens first and reads the sample corpus right after.
    while (!url || !out.includes('ingested the sample documents')) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`server exited: ${out}`);
      out += new TextDecoder().decode(value);
      url = out.match(/"url":"([^"]+)"/)?.[1] ?? '';
    }
    expect(out.indexOf('ragchat is listening')).toBeLessThan(out.indexOf('ingested the sample documents'));
    const res = await fetch(`${url}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'How do I start ragchat on my laptop?' }),
    });
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.response).toContain('npm');
    expect(body.sources.length).toBeGreaterThan(0);
    proc.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  } finally {
    proc.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the ingest command reports a summary, and refuses a changed embedder until --reindex', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-cli-'));
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const proc = Bun.spawn([BUN, 'run', 'ingest/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, EMBEDDINGS_BASE_URL: '', ...env },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const code = await proc.exited;
    return { code, out: await new Response(proc.stdout).text(), err: await new Response(proc.stderr).text() };
  };
  try {
    const first = await run(['ingest/sample-docs']);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /6 documents: 6 added, 0 updated, 0 unchanged, 0 without text, 0 removed, 0 failed; \d+ chunks; [\d.]+ s/,
    );
    const second = await run(['ingest/sample-docs']);
    expect(second.out).toContain('6 documents: 0 added, 0 updated, 6 unchanged');
    expect((await run([])).code).toBe(2);
    // Another embedder: the index must be rebuilt, and the message says how.
    const standIn = new OpenAiStandIn().start();
    try {
      const env = { EMBEDDINGS_BASE_URL: standIn.url, EMBEDDING_MODEL: 'nomic-embed-text' };
      const refused = await run(['ingest/sample-docs'], env);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('"ragchat-hashing-v1-512" (512 dimensions)');
      expect(refused.err).toContain('"nomic-embed-text" (64 dimensions)');
      expect(refused.err).toContain('--reindex');
      expect(refused.err).not.toMatch(/at .*\.ts:\d+/);
      const reindexed = await run(['--reindex', 'ingest/sample-docs'], env);
      expect(reindexed.code).toBe(0);
      expect(reindexed.out).toContain('6 documents: 0 added, 6 updated');
    } finally {
      await standIn.stop();
    }
    // An embedding server that is down is named, without a stack trace.
    const down = await run(['ingest/sample-docs'], { EMBEDDINGS_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(down.code).toBe(1);
    expect(down.err).toContain('The embedding service could not be reached.');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the server binary runs the one-off tasks as subcommands: ingest, migrate', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-sub-'));
  try {
    const run = (args: string[], env: Record<string, string> = {}) =>
      Bun.spawn([BUN, 'run', 'src/main.ts', ...args], {
        cwd: ROOT,
        env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', ...env },
        stdout: 'pipe',
        stderr: 'pipe',
      });
    const ingest = run(['ingest', 'ingest/sample-docs']);
    expect(await ingest.exited).toBe(0);
    expect(await new Response(ingest.stdout).text()).toContain('6 documents: 6 added');
    const check = run(['ingest', '--check']);
    expect(await check.exited).toBe(0);
    expect(await new Response(check.stdout).text()).toContain('The index is consistent');
    const migrate = run(['migrate']);
    expect(await migrate.exited).toBe(0);
    expect(await new Response(migrate.stdout).text()).toContain('Nothing to do');
    const unknown = run(['serve-me']);
    expect(await unknown.exited).toBe(2);
    expect(await new Response(unknown.stderr).text()).toContain('Unknown command "serve-me"');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('with accounts: user:create makes the first admin; the server asks for a login; no secret reaches the log', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-accounts-'));
  const password = 'correct-horse-battery-staple';
  const env = { ...process.env, DATA_DIR: dataDir, AUTH_MODE: 'password', LOG_LEVEL: 'debug', OPENAI_API_KEY: '' };
  const create = Bun.spawn([BUN, 'run', 'src/main.ts', 'user:create', '--email', 'Ada@Example.com', '--admin'], {
    cwd: ROOT,
    env,
    stdin: new TextEncoder().encode(`${password}\n`),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  expect(await create.exited).toBe(0);
  expect(await new Response(create.stdout).text()).toContain('Created admin ada@example.com.');

  const proc = Bun.spawn([BUN, 'run', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...env, PORT: '0' },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let log = '';
  try {
    const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
    let url = '';
    while (!url) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`server exited: ${log}`);
      log += new TextDecoder().decode(value);
      url = log.match(/"url":"([^"]+)"/)?.[1] ?? '';
    }
    const pump = (async () => {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        log += new TextDecoder().decode(value);
      }
    })();
    const home = await fetch(url, { redirect: 'manual' });
    expect(home.status).toBe(303);
    expect(home.headers.get('location')).toBe('/login');
    const loggedIn = await fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'ada@example.com', password }),
    });
    expect(loggedIn.status).toBe(303);
    const cookie = (loggedIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = { cookie, origin: url, 'hx-request': 'true' };
    const tokenPage = await fetch(`${url}/account/tokens`, {
      method: 'POST',
      headers: { ...page, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'test' }),
    });
    const token = /rc_[A-Za-z0-9_-]+/.exec(await tokenPage.text())?.[0] as string;
    const answer = await fetch(`${url}/api/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'How do I start ragchat on my laptop?' }),
    });
    const body = await answer.json();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-request-id')).toBeTruthy();
    // The access line is written after the response is sent: wait for it before stopping.
    for (let i = 0; i < 100 && !log.includes('"path":"/api/chat"'); i++) await Bun.sleep(50);
    proc.kill('SIGTERM');
    await proc.exited;
    await pump;
    log += await new Response(proc.stderr).text();

    // The log says what happened, by request id and user id...
    expect(log).toContain('"message":"request"');
    expect(log).toContain('"path":"/api/chat"');
    expect(log).toContain('"path":"/login","status":303');
    expect(log).toContain(`"requestId":"${answer.headers.get('x-request-id')}"`);
    // ...and nothing secret, nor the documents' or the answer's text.
    for (const secret of [password, token, cookie.split('=')[1] as string, body.response.slice(0, 40)]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(log).not.toContain(secret);
    }
  } finally {
    proc.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
