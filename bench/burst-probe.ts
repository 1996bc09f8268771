/**
 * A burst of answers asked at the same moment, against a real server process: how long until every
 * one of them is streaming, the time-to-first-token spread, refusals and the server's peak memory.
 *
 *   bun run bench/burst-probe.ts [answers=2000] [--tokens=10] [--token-ms=1000] [--first-ms=200] [--cpu-prof]
 *
 * The model and the embedder are an OpenAI-compatible fake on loopback (its own process, so its
 * work is not counted against the server): the first fragment after `--first-ms`, then one every
 * `--token-ms`; an embeddings request takes 20 ms. The server runs with the offline SQLite
 * defaults and every per-user and per-address limit lifted, so any refusal or wait left is the
 * server's own. Questions go over raw sockets, so the probe itself has no outgoing-request cap.
 * Extra server variables can be passed as `NAME=value` arguments.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { askStreamingRaw } from '../test/support/raw-http.ts';

const ROOT = join(import.meta.dir, '..');

function flag(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? Number(arg.split('=')[1]) : fallback;
}

/** The fake provider: chat completions streamed slowly, embeddings after 20 ms. */
async function runFakeProvider(): Promise<void> {
  const tokens = flag('tokens', 10);
  const tokenMs = flag('token-ms', 1000);
  const firstMs = flag('first-ms', 200);
  const dims = 64;
  const chunk = (id: string, delta: Record<string, string>, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model: 'fake', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (path === '/v1/models') return Response.json({ object: 'list', data: [{ id: 'fake', object: 'model' }] });
      const body = (await req.json()) as { input?: string | string[]; stream?: boolean };
      if (path === '/v1/embeddings') {
        await Bun.sleep(20);
        const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ''];
        return Response.json({
          object: 'list',
          model: 'fake',
          data: inputs.map((text, index) => {
            const v = Array.from({ length: dims }, (_, i) => Math.sin((text.length + 1) * (i + 1)));
            return { object: 'embedding', index, embedding: v };
          }),
          usage: { prompt_tokens: 1, total_tokens: 1 },
        });
      }
      const id = `chatcmpl-${crypto.randomUUID()}`;
      if (!body.stream) {
        return Response.json({
          id,
          object: 'chat.completion',
          created: 0,
          model: 'fake',
          choices: [{ index: 0, message: { role: 'assistant', content: 'A rewrite.' }, finish_reason: 'stop' }],
        });
      }
      const encoder = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          try {
            await Bun.sleep(firstMs);
            for (let i = 0; i < tokens; i++) {
              if (i > 0) await Bun.sleep(tokenMs);
              controller.enqueue(encoder.encode(chunk(id, { content: `word${i} ` }, null)));
            }
            controller.enqueue(encoder.encode(`${chunk(id, {}, 'stop')}data: [DONE]\n\n`));
            controller.close();
          } catch {
            // The server left.
          }
        },
      });
      return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
    },
  });
  console.log(`FAKE ${server.port}`);
}

function rssMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
}

/** CPU seconds a process has used so far, all its threads. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const pct = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN);
};

/** Everything a child writes, kept (and drained, so it never blocks on a full pipe). */
function collect(stream: ReadableStream<Uint8Array>, into: { text: string }): void {
  void (async () => {
    const decoder = new TextDecoder();
    const reader = stream.getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      into.text += decoder.decode(value, { stream: true });
    }
  })();
}

async function waitFor(log: { text: string }, pattern: RegExp, alive: () => boolean): Promise<string> {
  while (true) {
    const match = pattern.exec(log.text);
    if (match) return match[1] as string;
    if (!alive()) throw new Error(`the process ended before printing ${pattern}: ${log.text.slice(-2000)}`);
    await Bun.sleep(20);
  }
}

async function runProbe(): Promise<void> {
  const answers = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 2000);
  const passThrough = process.argv.slice(2).filter((a) => a.startsWith('--'));
  const extraEnv = Object.fromEntries(
    process.argv
      .slice(2)
      .filter((a) => /^[A-Z_]+=/.test(a))
      .map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]),
  );
  const provider = Bun.spawn([process.execPath, import.meta.path, '--provider', ...passThrough], {
    env: { ...process.env, BUN_CONFIG_MAX_HTTP_REQUESTS: '65535' },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const providerLog = { text: '' };
  collect(provider.stdout, providerLog);
  const providerPort = await waitFor(providerLog, /FAKE (\d+)/, () => provider.exitCode === null);
  const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-burst-'));
  // `--cpu-prof` writes the server's profile (.cpuprofile) to ./burst-profile/ when it stops.
  const profile = process.argv.includes('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir=burst-profile'] : [];
  const server = Bun.spawn([process.execPath, ...profile, 'run', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: dataDir,
      OPENAI_API_KEY: 'sk-fake',
      LLM_BASE_URL: `http://127.0.0.1:${providerPort}/v1`,
      LLM_MODEL: 'fake',
      EMBEDDINGS_BASE_URL: `http://127.0.0.1:${providerPort}/v1`,
      MAX_STREAMS_PER_USER: String(answers * 2),
      MAX_REQUESTS_PER_ADDRESS: '0',
      RATE_LIMIT_CHAT_PER_MINUTE: '100000',
      BUN_CONFIG_MAX_HTTP_REQUESTS: '65535',
      ...extraEnv,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  try {
    const serverLog = { text: '' };
    collect(server.stdout, serverLog);
    collect(server.stderr, serverLog);
    const url = await waitFor(serverLog, /"url":"([^"]+)"/, () => server.exitCode === null);
    const port = Number(new URL(url).port);
    // One answer first, so that the seed, the JIT and the first connections are not measured.
    await askStreamingRaw(port, 'How do I start ragchat on my laptop?');
    // A quiet moment: in a profile, the burst is what follows the last long gap.
    await Bun.sleep(2000);
    const before = rssMiB(server.pid);
    let peak = before.rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMiB(server.pid).rss);
    }, 100);
    const cpu0 = { server: cpuSeconds(server.pid), provider: cpuSeconds(provider.pid), probe: cpuSeconds(process.pid) };
    let cpuAtAllStreaming = cpu0;
    const t0 = performance.now();
    let streaming = 0;
    const outcomes = await Promise.all(
      Array.from({ length: answers }, (_, i) =>
        askStreamingRaw(port, `How do I start ragchat on my laptop? (${i})`, () => {
          if (++streaming === answers)
            cpuAtAllStreaming = {
              server: cpuSeconds(server.pid),
              provider: cpuSeconds(provider.pid),
              probe: cpuSeconds(process.pid),
            };
        }),
      ),
    );
    clearInterval(sampler);
    const ok = outcomes.filter((o) => o.status === 200 && o.firstFragmentAt !== undefined);
    const ttft = ok.map((o) => (o.firstFragmentAt as number) - t0);
    const heads = outcomes.filter((o) => o.headAt !== undefined).map((o) => (o.headAt as number) - t0);
    const statuses: Record<string, number> = {};
    for (const o of outcomes) statuses[o.status] = (statuses[o.status] ?? 0) + 1;
    const firstEnd = Math.min(...ok.map((o) => (o.endAt ?? Number.POSITIVE_INFINITY) - t0));
    const allStreaming = Math.max(...ttft);
    console.log(
      JSON.stringify(
        {
          answers,
          statuses,
          streamed: ok.length,
          allStreamingMs: Math.round(allStreaming),
          overlapped: allStreaming < firstEnd,
          headMs: { p50: pct(heads, 50), p99: pct(heads, 99), max: pct(heads, 100) },
          ttftMs: {
            min: pct(ttft, 0),
            p50: pct(ttft, 50),
            p90: pct(ttft, 90),
            p99: pct(ttft, 99),
            max: pct(ttft, 100),
          },
          // CPU seconds each process spent from the burst's start until all were streaming.
          cpuUntilAllStreaming: Object.fromEntries(
            Object.entries(cpuAtAllStreaming).map(([k, v]) => [
              k,
              Math.round((v - cpu0[k as keyof typeof cpu0]) * 100) / 100,
            ]),
          ),
          rssMiB: { idle: before.rss, burstPeak: peak, highWaterMark: rssMiB(server.pid).peak },
        },
        null,
        2,
      ),
    );
  } finally {
    server.kill('SIGTERM');
    provider.kill();
    await server.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--provider') await runFakeProvider();
else await runProbe();
