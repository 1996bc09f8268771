import { expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/main.ts';
import { OpenAiStandIn } from '../support/openai-stand-in.ts';
import { SAMPLE_DOCS } from '../support/test-deps.ts';

/**
 * The real entry points: `run(argv, env)` in this process, as `ragchat <command>` calls it; and
 * as processes where a signal or the process's own output is what is tested.
 */
const ROOT = join(import.meta.dir, '..', '..');
const BUN = process.execPath;

/** `run` with what it prints to standard output and standard error collected. */
async function runCaptured(
  argv: string[],
  env: Record<string, string | undefined>,
  stdin?: Parameters<typeof run>[2],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...args: unknown[]) => out.push(args.join(' '));
  console.error = (...args: unknown[]) => err.push(args.join(' '));
  try {
    const code = await run(argv, env, stdin);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** What this machine's environment sets for providers is left out: the offline answerer and the local embedder. */
const QUIET = { OPENAI_API_KEY: '', LLM_BASE_URL: '', EMBEDDINGS_BASE_URL: '', DATABASE_URL: '', LOG_LEVEL: 'warn' };

test('a bad configuration stops the start with one message naming every bad variable', async () => {
  const { code, err } = await runCaptured([], { PORT: 'x', LOG_LEVEL: 'chatty', DATA_DIR: '/tmp/never-used' });
  expect(code).toBe(1);
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
  const ingest = (args: string[], env: Record<string, string> = {}) =>
    runCaptured(['ingest', ...args], { ...QUIET, DATA_DIR: dataDir, ...env });
  try {
    const first = await ingest([SAMPLE_DOCS]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(
      /6 documents: 6 added, 0 updated, 0 unchanged, 0 without text, 0 removed, 0 failed; \d+ chunks; [\d.]+ s/,
    );
    const second = await ingest([SAMPLE_DOCS]);
    expect(second.out).toContain('6 documents: 0 added, 0 updated, 6 unchanged');
    const none = await ingest([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('Name at least one folder');
    const check = await ingest(['--check']);
    expect(check.code).toBe(0);
    expect(check.out).toContain('The index is consistent');
    // Another embedder: the index must be rebuilt, and the message says how.
    const standIn = new OpenAiStandIn().start();
    try {
      const env = { EMBEDDINGS_BASE_URL: standIn.url, EMBEDDING_MODEL: 'nomic-embed-text' };
      const refused = await ingest([SAMPLE_DOCS], env);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain('"ragchat-hashing-v1-512" (512 dimensions)');
      expect(refused.err).toContain('"nomic-embed-text" (64 dimensions)');
      expect(refused.err).toContain('--reindex');
      expect(refused.err).not.toMatch(/at .*\.ts:\d+/);
      const reindexed = await ingest(['--reindex', SAMPLE_DOCS], env);
      expect(reindexed.code).toBe(0);
      expect(reindexed.out).toContain('6 documents: 0 added, 6 updated');
    } finally {
      await standIn.stop();
    }
    // An embedding server that is down is named, without a stack trace.
    const down = await ingest([SAMPLE_DOCS], { EMBEDDINGS_BASE_URL: 'http://127.0.0.1:9/v1' });
    expect(down.code).toBe(1);
    expect(down.err).toContain('The embedding service could not be reached.');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('the other subcommands: migrate without Postgres has nothing to do; an unknown command gets the usage', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-sub-'));
  try {
    const migrate = await runCaptured(['migrate'], { ...QUIET, DATA_DIR: dataDir });
    expect(migrate.code).toBe(0);
    expect(migrate.out).toContain('Nothing to do');
    const badConfig = await runCaptured(['migrate'], { DATA_DIR: dataDir, DATABASE_URL: 'mysql://x' });
    expect(badConfig.code).toBe(1);
    expect(badConfig.err).toContain('DATABASE_URL');
    const unknown = await runCaptured(['serve-me'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Unknown command "serve-me"');
    expect(unknown.err).toContain('user:create --email');
    // Nobody listening on this port: the health check fails, by its exit code.
    expect((await runCaptured(['healthcheck'], { PORT: '9' })).code).toBe(1);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('as a process, the entry point exits with the code run() returns', async () => {
  const proc = Bun.spawn([BUN, 'run', 'src/main.ts', 'serve-me'], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  expect(await proc.exited).toBe(2);
  expect(await new Response(proc.stderr).text()).toContain('Unknown command "serve-me"');
});

test('with accounts: user:create makes the first admin; the server asks for a login; no secret reaches the log', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-accounts-'));
  const password = 'correct-horse-battery-staple';
  const env = { ...process.env, DATA_DIR: dataDir, AUTH_MODE: 'password', LOG_LEVEL: 'debug', OPENAI_API_KEY: '' };
  const create = await runCaptured(['user:create', '--email', 'Ada@Example.com', '--admin'], env, {
    piped: true,
    text: async () => `${password}\n`,
  });
  expect(create.code).toBe(0);
  expect(create.out).toContain('Created admin ada@example.com.');
  expect(create.out).not.toContain(password);
  const again = await runCaptured(['user:create', '--email', 'ada@example.com'], env, {
    piped: true,
    text: async () => 'another-long-password\n',
  });
  expect(again.code).toBe(1);
  expect(again.err).toContain('An account with that email exists.');

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
