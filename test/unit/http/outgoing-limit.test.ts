import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_OUTGOING_REQUESTS, OUTGOING_LIMIT_VARIABLE, restartCommand } from '../../../src/http/outgoing-limit.ts';
import { openFilesLimit } from '../../../src/http/serve.ts';
import { beforeSuite } from '../../support/before-suite.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';
import { askStreamingRaw } from '../../support/raw-http.ts';
import { type ServerProcess, startServer } from '../../support/server-process.ts';

test('without the limit set, the server restarts as the same command with it; with it set, never again', () => {
  const facts = {
    env: { PATH: '/bin', GONE: undefined },
    argv: ['/usr/bin/bun', '/app/src/main.ts', 'ingest', './docs'],
    execArgv: ['--smol'],
    execPath: '/usr/bin/bun',
    main: '/app/src/main.ts',
  };
  expect(restartCommand(facts)).toEqual({
    argv: ['/usr/bin/bun', '--smol', '/app/src/main.ts', 'ingest', './docs'],
    env: { PATH: '/bin', [OUTGOING_LIMIT_VARIABLE]: String(MAX_OUTGOING_REQUESTS) },
  });
  // A compiled binary: argv[1] is its virtual entry, and its baked-in flags apply by themselves.
  const binary = { ...facts, argv: ['bun', '/$bunfs/root/ragchat', 'migrate'], execPath: '/app/ragchat' };
  expect(restartCommand({ ...binary, main: '/$bunfs/root/ragchat' })?.argv).toEqual(['/app/ragchat', 'migrate']);
  // Set by the operator (to any value) or by the restart itself: the guard against a loop.
  expect(restartCommand({ ...facts, env: { [OUTGOING_LIMIT_VARIABLE]: '64' } })).toBeNull();
});

// Bun's default cap is 256 outgoing requests; every answer streams from the model over one. The
// questions go over raw sockets (askStreamingRaw): this test's own fetch is capped at 256 too.
const ANSWERS = 300;
// Each answer's first fragment comes after STEP_MS and its last after 2 × STEP_MS: if all answers
// started together, every one has its first fragment before any has finished. Answer 257 waiting
// for a free request would start only after one of the first 256 had ended.
const STEP_MS = 2500;
const enoughFiles =
  (openFilesLimit() ?? Number.POSITIVE_INFINITY) === 'unlimited' ||
  Number(openFilesLimit() ?? Infinity) >= 4 * ANSWERS + 200;

let standIn: OpenAiStandIn;
let server: ServerProcess;
let dataDir: string;

beforeSuite(async () => {
  // Never skipped: a machine that cannot hold the sockets says so instead.
  if (!enoughFiles) throw new Error(`this test needs an open-file limit of at least ${4 * ANSWERS + 200} (ulimit -n)`);
  standIn = new OpenAiStandIn().start();
  standIn.script = { tokens: ['First fragment.', ' Last fragment.'], delayMs: STEP_MS };
  dataDir = mkdtempSync(join(tmpdir(), 'ragchat-outgoing-'));
  server = await startServer({
    DATA_DIR: dataDir,
    OPENAI_API_KEY: 'sk-test',
    LLM_BASE_URL: standIn.url,
    LLM_MODEL: 'stand-in-model',
    // The server must raise the cap itself, as `bun run src/main.ts` or the bare binary would.
    [OUTGOING_LIMIT_VARIABLE]: undefined,
    // Limits lifted for the burst, as an operator would for it (README, "A burst of answers").
    MAX_STREAMS_PER_USER: String(ANSWERS),
    MAX_REQUESTS_PER_ADDRESS: '0',
    RATE_LIMIT_CHAT_PER_MINUTE: String(ANSWERS),
  });
});

afterAll(async () => {
  await server?.stop();
  await standIn?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test(`${ANSWERS} answers asked at once all stream at the same time: none waits for another to end`, async () => {
  expect(server.log()).toContain(`"outgoingRequests":${MAX_OUTGOING_REQUESTS}`);
  const answers = await Promise.all(
    Array.from({ length: ANSWERS }, (_, i) =>
      askStreamingRaw(server.port, `How do I start ragchat on my laptop? (${i})`),
    ),
  );
  expect(answers.filter((a) => a.status !== 200)).toEqual([]);
  expect(answers.filter((a) => a.firstFragmentAt === undefined || a.endAt === undefined)).toEqual([]);
  const lastFirstFragment = Math.max(...answers.map((a) => a.firstFragmentAt as number));
  const firstDone = Math.min(...answers.map((a) => a.endAt as number));
  expect(lastFirstFragment).toBeLessThan(firstDone);
  expect(standIn.requests.filter((r) => r.path === '/v1/chat/completions').length).toBeGreaterThanOrEqual(ANSWERS);
}, 30_000);
