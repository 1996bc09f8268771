import { afterAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Elysia } from 'elysia';
import { AddressLimits, connectionLimits } from '../../../src/http/connection-limits.ts';
import { openFilesLimit } from '../../../src/http/serve.ts';
import { OpenAiStandIn } from '../../support/openai-stand-in.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** `bun run src/main.ts` on a free port; resolves with its URL and the 'listening' log line. */
async function startServer(env: Record<string, string>) {
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-conn-'));
  dataDirs.push(dataDir);
  const proc = Bun.spawn([process.execPath, 'run', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', DATA_DIR: dataDir, OPENAI_API_KEY: '', EMBEDDINGS_BASE_URL: '', ...env },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader();
  let out = '';
  while (!out.includes('ragchat is listening')) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  const line = out.split('\n').find((l) => l.includes('ragchat is listening')) ?? '';
  // Keep reading the log, or the server blocks once the pipe is full.
  void (async () => {
    while (!(await reader.read()).done) {}
  })();
  const listening = JSON.parse(line) as { url: string; openFiles: number | string };
  const { port } = new URL(listening.url);
  return { proc, url: `http://127.0.0.1:${port}`, port: Number(port), listening };
}

interface Probe {
  socket: Socket;
  closedAt?: number;
  received: string;
}

/** A raw socket that sends `head` (maybe nothing) and records when the server closes it. */
function openProbe(port: number, head: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const probe: Probe = { socket, received: '' };
    // Reading is what notices the server's FIN: a paused socket never reports the close.
    socket.on('data', (d) => {
      probe.received += d.toString();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      probe.closedAt = performance.now();
    });
    socket.once('connect', () => {
      if (head) socket.write(head);
      resolve(probe);
    });
    socket.once('error', reject);
  });
}

async function openMany(count: number, port: number, head: string): Promise<Probe[]> {
  const probes: Probe[] = [];
  // In batches, under the listen backlog.
  for (let i = 0; i < count; i += 250) {
    probes.push(...(await Promise.all(Array.from({ length: Math.min(250, count - i) }, () => openProbe(port, head)))));
  }
  return probes;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!condition() && performance.now() < end) await Bun.sleep(100);
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

const ask = (url: string, message: string, accept = 'application/json') =>
  fetch(`${url}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept },
    body: JSON.stringify({ message }),
  });

// Each probe is a file in this process and one in the server's: keep well inside both limits.
const ownLimit = openFilesLimit();
const IDLE_SOCKETS = Math.min(3000, typeof ownLimit === 'number' ? Math.floor(ownLimit / 3) : 3000);

test(`${IDLE_SOCKETS} idle keep-alive sockets and hundreds of half-sent requests neither starve the server nor outlive their bounds`, async () => {
  const server = await startServer({
    IDLE_TIMEOUT_S: '2',
    REQUEST_TIMEOUT_S: '3',
    MAX_REQUESTS_PER_ADDRESS: '1000',
    // The trickled requests below are questions too; the rate limit is not what is tested here.
    RATE_LIMIT_CHAT_PER_MINUTE: '10000',
  });
  const probes: Probe[] = [];
  try {
    if (process.platform === 'linux') expect(typeof server.listening.openFiles).toBe('number');
    // The first answer pays for warming up (the embedder, compiled code): not what is measured.
    expect((await ask(server.url, 'What is ragchat?')).status).toBe(200);
    const opened = performance.now();
    // One request each, answered, then nothing: idle keep-alive sockets.
    const idle = await openMany(IDLE_SOCKETS, server.port, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    // A header block never finished, and no bytes at all.
    const halfHeaders = await openMany(200, server.port, 'POST /api/chat HTTP/1.1\r\nHost: localhost\r\n');
    const silent = await openMany(100, server.port, '');
    // Headers complete, the body promised but trickled a byte a second.
    const trickled = await openMany(
      100,
      server.port,
      'POST /api/chat HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{',
    );
    const drip = setInterval(() => {
      for (const p of trickled) if (p.closedAt === undefined) p.socket.write(' ');
    }, 1000);
    // Answers, streamed and awaited, lift the request deadline; their sockets must still go idle.
    const question = JSON.stringify({ message: 'How do I start ragchat on my laptop?' });
    const answered = await Promise.all(
      ['text/event-stream', 'application/json'].map((accept) =>
        openProbe(
          server.port,
          `POST /api/chat HTTP/1.1\r\nHost: localhost\r\nAccept: ${accept}\r\nContent-Type: application/json\r\n` +
            `Content-Length: ${Buffer.byteLength(question)}\r\n\r\n${question}`,
        ),
      ),
    );
    probes.push(...idle, ...halfHeaders, ...silent, ...trickled, ...answered);
    await until(() => idle.every((p) => p.received.includes('"status":"ok"')), 10_000);
    expect(idle.filter((p) => p.received.includes('"status":"ok"')).length).toBe(IDLE_SOCKETS);

    // A liveness bound, not a performance target: each answers well inside it.
    const health = await timed(() => fetch(`${server.url}/healthz`));
    expect(health.value.status).toBe(200);
    expect(health.ms).toBeLessThan(2000);
    // Streamed, so that the bound is on the server answering, not on the offline answerer, which
    // paces its words (about a second for a whole answer).
    const chat = await timed(() => ask(server.url, 'How do I start ragchat on my laptop?', 'text/event-stream'));
    expect(chat.value.status).toBe(200);
    expect(chat.ms).toBeLessThan(2000);
    expect(await chat.value.text()).toContain('event: done');

    // Bun closes idle sockets after IDLE_TIMEOUT_S (in 4 s steps), a request after its deadline,
    // and an unfinished header block after about 12 s of its own.
    await until(() => probes.every((p) => p.closedAt !== undefined), 25_000);
    clearInterval(drip);
    const closedWithin = (group: Probe[]) => Math.max(...group.map((p) => (p.closedAt ?? Infinity) - opened));
    expect(closedWithin(idle)).toBeLessThan(15_000);
    expect(closedWithin(trickled)).toBeLessThan(15_000);
    expect(answered[0]?.received).toContain('event: done');
    expect(answered[1]?.received).toContain('"status":"complete"');
    expect(closedWithin(answered)).toBeLessThan(15_000);
    expect(closedWithin([...halfHeaders, ...silent])).toBeLessThan(25_000);
    // The trickled requests were cut, never answered.
    expect(trickled.filter((p) => p.received !== '').length).toBe(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  } finally {
    for (const p of probes) p.socket.destroy();
    server.proc.kill();
    await server.proc.exited;
  }
}, 90_000);

test('a streamed answer with only heartbeats for longer than the idle timeout and the request deadline completes; so does an awaited one', async () => {
  const standIn = new OpenAiStandIn().start();
  // Quiet for 3 s before each fragment: no token for longer than IDLE_TIMEOUT_S and REQUEST_TIMEOUT_S
  // (which Bun rounds up to 4 s), well inside the LLM's own silence limit.
  standIn.script = { tokens: ['Slow', ' but', ' complete.'], delayMs: 3000 };
  const server = await startServer({
    LLM_BASE_URL: standIn.url,
    LLM_TIMEOUT_MS: '60000',
    IDLE_TIMEOUT_S: '1',
    REQUEST_TIMEOUT_S: '1',
    HEARTBEAT_MS: '1000',
  });
  try {
    const stream = await timed(async () => {
      const res = await ask(server.url, 'How do I start ragchat on my laptop?', 'text/event-stream');
      return res.text();
    });
    expect(stream.ms).toBeGreaterThan(8000);
    expect(stream.value).toContain('event: done');
    expect(stream.value).toContain('"status":"complete"');
    expect(stream.value.match(/: keep-alive/g)?.length ?? 0).toBeGreaterThanOrEqual(6);
    const awaited = await ask(server.url, 'How do I start ragchat on my laptop?');
    expect(awaited.status).toBe(200);
    expect(((await awaited.json()) as { response: string }).response).toContain('Slow but complete.');
  } finally {
    server.proc.kill();
    await server.proc.exited;
    await standIn.stop();
  }
}, 60_000);

test('the cap counts requests and streams in flight per address, until a stream ends or is cancelled', async () => {
  const cap = new AddressLimits(2);
  let address = '10.0.0.1';
  let finishSlow = () => {};
  let sseController: ReadableStreamDefaultController<Uint8Array> | undefined;
  const app = new Elysia()
    .onError(({ error }) => {
      const e = error as { status?: number; message: string };
      return Response.json({ message: e.message }, { status: e.status ?? 500 });
    })
    .use(
      connectionLimits(
        {
          idleTimeoutS: 30,
          requestTimeoutS: 60,
          uploadTimeoutS: 600,
          isUpload: () => false,
          maxRequestsPerAddress: 2,
          addressOf: () => address,
        },
        cap,
      ),
    )
    .get('/healthz', () => 'ok')
    .get('/slow', () => new Promise<string>((resolve) => (finishSlow = () => resolve('done'))))
    .get('/fast', () => 'fast')
    .get(
      '/sse',
      () =>
        new Response(new ReadableStream<Uint8Array>({ start: (c) => (sseController = c) }), {
          headers: { 'content-type': 'text/event-stream' },
        }),
    );
  const get = (path: string) => app.handle(new Request(`http://localhost${path}`));

  const slow = get('/slow');
  await Bun.sleep(10);
  const sse = await get('/sse');
  expect(cap.count('10.0.0.1')).toBe(2);
  const refused = await get('/fast');
  expect(refused.status).toBe(429);
  expect(((await refused.json()) as { message: string }).message).toContain('Too many requests at once');
  // Another address, and the probe, are not held back.
  address = '10.0.0.2';
  expect((await get('/fast')).status).toBe(200);
  expect((await get('/healthz')).status).toBe(200);
  address = '10.0.0.1';

  finishSlow();
  expect(await (await slow).text()).toBe('done');
  await Bun.sleep(10);
  expect(cap.count('10.0.0.1')).toBe(1);
  // The stream's response was sent at once, but it counts until its body ends.
  sseController?.enqueue(new TextEncoder().encode(': hi\n\n'));
  sseController?.close();
  await sse.text();
  expect(cap.count('10.0.0.1')).toBe(0);

  const cancelled = await get('/sse');
  expect(cap.count('10.0.0.1')).toBe(1);
  await cancelled.body?.cancel();
  expect(cap.count('10.0.0.1')).toBe(0);
  expect(cap.count('10.0.0.2')).toBe(0);
});

test('MAX_REQUESTS_PER_ADDRESS=0 turns the cap off', () => {
  const off = new AddressLimits(0);
  for (let i = 0; i < 10_000; i++) expect(off.acquire('127.0.0.1')).not.toBeNull();
  expect(off.count('127.0.0.1')).toBe(0);
});

test('the open-file limit is the soft limit in /proc/self/limits, and unknown without one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ragchat-limits-'));
  dataDirs.push(dir);
  const file = join(dir, 'limits');
  writeFileSync(
    file,
    'Limit                     Soft Limit           Hard Limit           Units\n' +
      'Max open files            1048576              1048576              files\n',
  );
  expect(openFilesLimit(file)).toBe(1048576);
  expect(openFilesLimit(join(dir, 'absent'))).toBeUndefined();
});
