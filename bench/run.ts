/**
 * `npm run bench`: how ragchat holds up under load, with everything but ragchat taken out of the
 * figures. A real server process (`bun run src/main.ts`, pinned to one core) answers from a fake
 * OpenAI-compatible provider with a fixed pace (bench/fake-provider.ts, in its own process, pinned
 * with this driver to the other core) over a generated corpus (bench/corpus.ts) it ingests at start.
 *
 *   npm run bench                        closed loop at 1, 10 and 50 users, then bursts of 500 and 2000
 *   npm run bench -- --only=load         only the closed loop (--only=burst, --only=load,burst)
 *   npm run bench -- --only=latency      bench/chat-latency.ts: in process, offline answerer, unpaced
 *   npm run bench -- --only=ingest       bench/ingest-throughput.ts: SciFact ingestion (needs the dataset)
 *   npm run bench -- --help              every option
 *
 * Nothing here reaches the internet: the provider, the server and the load are all on loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeCorpus } from './corpus.ts';
import { DEFAULT_PACE, type Pace, type ProviderStats } from './fake-provider.ts';
import { burst, closedLoop, type Turn } from './load-driver.ts';
import {
  type Child,
  canPin,
  clockTicks,
  cpuMs,
  freePort,
  LOAD_CORE,
  MACHINE_CORES,
  memoryMiB,
  pinned,
  ROOT,
  resetPeakRss,
  SERVER_CORE,
  spawnChild,
  waitFor,
} from './processes.ts';

const USAGE = `Usage: npm run bench -- [options]

  --only=PARTS         comma-separated: load, burst, latency, ingest (default load,burst)
  --users=LIST         closed-loop concurrencies (default 1,10,50)
  --rounds=N           measured rounds per concurrency, after a warm-up (default 5)
  --round-s=S          length of a round, seconds (default 6)
  --warmup-s=S         warm-up before each concurrency, seconds (default 3)
  --bursts=LIST        burst sizes (default 500,2000)
  --burst-tokens=N     fragments per answer in a burst (default 30)
  --burst-gap-ms=MS    between a burst answer's fragments (default 1000)
  --docs=N             documents in the generated corpus (default 300)
  --server-max-http=N  BUN_CONFIG_MAX_HTTP_REQUESTS given to the server (default 4096; Bun's own is 256)
  --stagger-ms=MS      closed loop: user i starts i/users × MS late, so arrivals spread like
                       independent people's (default 1500, about one answer; 0 starts all at once)
  --server-root=DIR    run the server of another checkout (say, an earlier commit in a git worktree
                       with its own npm install), to compare before and after with the same load
  --server-env=K=V,..  extra server variables (an earlier server may refuse today's limits)
  --server-bun-args=.. space-separated options for the server's bun, before \`run\` (say
                       "--cpu-prof-md --cpu-prof-dir=/tmp/prof" for a profile of the server)
  --server-entry=FILE  what the server runs (default src/main.ts); bench/floor-server.ts is the
                       least a Bun server can do for an answer over the same wire, to read
                       ragchat's figures against
  --json=FILE          also write every figure as JSON`;

// Read at process start by Bun: the driver holds thousands of streams, far past the default 256.
const DRIVER_MAX_HTTP = '65535';

const { values: args } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    only: { type: 'string', default: 'load,burst' },
    users: { type: 'string', default: '1,10,50' },
    rounds: { type: 'string', default: '5' },
    'round-s': { type: 'string', default: '6' },
    'warmup-s': { type: 'string', default: '3' },
    bursts: { type: 'string', default: '500,2000' },
    'burst-tokens': { type: 'string', default: '30' },
    'burst-gap-ms': { type: 'string', default: '1000' },
    docs: { type: 'string', default: '300' },
    'server-max-http': { type: 'string', default: '4096' },
    'server-root': { type: 'string', default: ROOT },
    'stagger-ms': { type: 'string', default: '1500' },
    'server-env': { type: 'string', default: '' },
    'server-bun-args': { type: 'string', default: '' },
    'server-entry': { type: 'string', default: 'src/main.ts' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}

// The driver re-runs itself pinned to the load core, with the fetch limit it needs.
if (process.env.RAGCHAT_BENCH_DRIVER !== '1') {
  const child = Bun.spawn(pinned(LOAD_CORE, [process.execPath, 'run', import.meta.path, ...Bun.argv.slice(2)]), {
    cwd: ROOT,
    env: { ...process.env, RAGCHAT_BENCH_DRIVER: '1', BUN_CONFIG_MAX_HTTP_REQUESTS: DRIVER_MAX_HTTP },
    stdio: ['inherit', 'inherit', 'inherit'],
  });
  process.exit(await child.exited);
}

const parts = new Set(args.only.split(',').map((p) => p.trim()));
const list = (v: string) => v.split(',').map((x) => Number(x.trim()));
const report: Record<string, unknown> = {};

// ---- Statistics and tables ----

function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
const p50 = (xs: readonly number[]) => quantile(xs, 0.5);
const p99 = (xs: readonly number[]) => quantile(xs, 0.99);
const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function printTable(title: string, headers: string[], rows: (string | number)[][]): void {
  const cells = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(headers));
  console.log(`| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
  for (const r of cells) console.log(line(r));
}

// ---- The in-process benches that were here before ----

async function runScript(file: string): Promise<void> {
  console.log(`\n== ${file} ==`);
  const child = Bun.spawn([process.execPath, 'run', file], { cwd: ROOT, stdio: ['inherit', 'inherit', 'inherit'] });
  const code = await child.exited;
  if (code !== 0) console.log(`(${file} exited with ${code})`);
}

if (parts.has('latency')) await runScript('bench/chat-latency.ts');
if (parts.has('ingest')) await runScript('bench/ingest-throughput.ts');

// ---- The server under load ----

interface Stack {
  base: string;
  provider: string;
  server: Child;
  fake: Child;
  dataDir: string;
  corpusDir: string;
  questions: string[];
  /** The server's CPU use with nothing to do (timers, metrics), ms per second. */
  idleCpuMsPerSecond: number;
}

/** Documents the server has ingested so far (any outcome), from its /metrics. */
async function ingestedDocuments(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('ragchat_ingest_documents_total{')) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function startStack(): Promise<Stack> {
  const work = mkdtempSync(join(tmpdir(), 'ragchat-bench-'));
  const corpus = writeCorpus(join(work, 'corpus'), { documents: Number(args.docs) });
  const providerPort = freePort();
  const fake = spawnChild(
    pinned(LOAD_CORE, [process.execPath, 'run', 'bench/fake-provider.ts', `--port=${providerPort}`]),
    { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  );
  const provider = `http://127.0.0.1:${providerPort}`;
  await waitFor(fake, 'the fake provider', async () => (await fetch(`${provider}/v1/models`)).ok, 15_000);

  const port = freePort();
  const started = performance.now();
  const server = spawnChild(
    pinned(SERVER_CORE, [
      process.execPath,
      ...args['server-bun-args'].split(' ').filter((arg) => arg !== ''),
      'run',
      args['server-entry'],
    ]),
    {
      // Only what the bench sets: no variable from the caller's shell changes the backends.
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(work, 'data'),
      SEED_DOCS_DIR: corpus.dir,
      LLM_BASE_URL: `${provider}/v1`,
      EMBEDDINGS_BASE_URL: `${provider}/v1`,
      OPENAI_API_KEY: 'bench-not-a-key',
      LLM_MODEL: 'fake-chat',
      EMBEDDING_MODEL: 'fake-embed',
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: 'true',
      // The limits a single benchmark user would otherwise run into, lifted to their maxima.
      RATE_LIMIT_CHAT_PER_MINUTE: '100000',
      MAX_STREAMS_PER_USER: '1000000',
      MAX_REQUESTS_PER_ADDRESS: '0',
      BUN_CONFIG_MAX_HTTP_REQUESTS: args['server-max-http'],
      ...Object.fromEntries(
        args['server-env']
          .split(',')
          .filter((pair) => pair.includes('='))
          .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
      ),
    },
    args['server-root'],
  );
  const base = `http://127.0.0.1:${port}`;
  await waitFor(server, 'the ragchat server', async () => (await fetch(`${base}/healthz`)).ok, 180_000);
  const startMs = performance.now() - started;
  // The corpus is ingested after the server listens (src/seed.ts): until it is, the idle figure
  // and the first concurrency would count the ingestion's work as the server's.
  await waitFor(
    server,
    'the corpus ingestion',
    async () => (await ingestedDocuments(base)) >= corpus.documents,
    180_000,
  );
  const seededMs = performance.now() - started;
  // What the server spends doing nothing, so that the per-answer figures can leave it out.
  const ticks = clockTicks();
  const idleFrom = { cpu: cpuMs(server.proc.pid, ticks), at: performance.now() };
  await Bun.sleep(3000);
  const idleCpuMsPerSecond =
    (cpuMs(server.proc.pid, ticks) - idleFrom.cpu) / ((performance.now() - idleFrom.at) / 1000);
  const idleRssMiB = memoryMiB(server.proc.pid).rss;
  console.log(
    `\nServer: bun run ${args['server-entry']} in ${args['server-root']} (pid ${server.proc.pid}), Bun ${Bun.version}, ${MACHINE_CORES} cores, ` +
      (canPin()
        ? `server on core ${SERVER_CORE}, fake provider and load on core ${LOAD_CORE} (taskset)`
        : 'not pinned (no taskset, or one core)') +
      `\nBUN_CONFIG_MAX_HTTP_REQUESTS: server ${args['server-max-http']}, driver ${DRIVER_MAX_HTTP}` +
      `\nCorpus: ${corpus.documents} generated Markdown files (${(corpus.bytes / 1024).toFixed(0)} KiB), ingested at start; ` +
      `start to first /healthz ${(startMs / 1000).toFixed(1)} s, corpus ingested at ${(seededMs / 1000).toFixed(1)} s; idle server CPU ${idleCpuMsPerSecond.toFixed(1)} ms/s, RSS ${idleRssMiB.toFixed(0)} MiB`,
  );
  report.setup = {
    bun: Bun.version,
    cores: MACHINE_CORES,
    pinned: canPin(),
    serverMaxHttpRequests: Number(args['server-max-http']),
    documents: corpus.documents,
    startMs,
    seededMs,
    idleCpuMsPerSecond,
    idleRssMiB,
  };
  return {
    base,
    provider,
    server,
    fake,
    dataDir: work,
    corpusDir: corpus.dir,
    questions: corpus.questions,
    idleCpuMsPerSecond,
  };
}

const providerStats = async (stack: Stack) =>
  (await (await fetch(`${stack.provider}/_bench/stats`)).json()) as ProviderStats;
const setPace = async (stack: Stack, pace: Partial<Pace>) =>
  (await (await fetch(`${stack.provider}/_bench/pace`, { method: 'POST', body: JSON.stringify(pace) })).json()) as Pace;

const PHASES = ['validate', 'store', 'rewrite', 'embed', 'search', 'prompt', 'provider', 'firstEvent', 'total'];

/** p50 and p99 of each phase of the `done` events' timings, as table cells. */
function phaseCells(turns: readonly Turn[], phase: string): string[] {
  const xs = turns.flatMap((t) => (typeof t.timings?.[phase] === 'number' ? [t.timings[phase] as number] : []));
  return [fixed(p50(xs)), fixed(p99(xs))];
}

/** CPU of the load core's processes (this driver and the fake provider) since `from`, in ms. */
function loadCpuMs(stack: Stack, ticks: number): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1000 + cpuMs(stack.fake.proc.pid, ticks);
}

async function runLoad(stack: Stack): Promise<void> {
  const pace = await setPace(stack, DEFAULT_PACE);
  const ticks = clockTicks();
  const pid = stack.server.proc.pid;
  const rounds = Number(args.rounds);
  const roundMs = Number(args['round-s']) * 1000;
  const rows: (string | number)[][] = [];
  const phaseRows = new Map<string, string[]>(PHASES.map((p) => [p, [p]]));
  const levels = list(args.users);
  const results: Record<string, unknown>[] = [];
  for (const users of levels) {
    await closedLoop(stack.base, users, Number(args['warmup-s']) * 1000, stack.questions, Number(args['stagger-ms']));
    resetPeakRss(pid);
    const turns: Turn[] = [];
    const overheads: number[] = [];
    const roundP50s: number[] = [];
    let elapsedMs = 0;
    let cpu = 0;
    let embeds = 0;
    let loadCpu = 0;
    for (let r = 0; r < rounds; r++) {
      const before = {
        cpu: cpuMs(pid, ticks),
        load: loadCpuMs(stack, ticks),
        embeds: (await providerStats(stack)).embeddingRequests,
      };
      const round = await closedLoop(stack.base, users, roundMs, stack.questions, Number(args['stagger-ms']));
      const roundCpu = cpuMs(pid, ticks) - before.cpu;
      loadCpu += loadCpuMs(stack, ticks) - before.load;
      const roundEmbeds = (await providerStats(stack)).embeddingRequests - before.embeds;
      // Embedding requests per answer, counted by the provider: 1 for a first question.
      const perTurn = round.turns.length > 0 ? roundEmbeds / round.turns.length : 0;
      for (const t of round.turns)
        if (t.ttftMs !== null) overheads.push(t.ttftMs - pace.firstTokenMs - pace.embedMs * perTurn);
      roundP50s.push(p50(round.turns.flatMap((t) => (t.ttftMs === null ? [] : [t.ttftMs]))));
      turns.push(...round.turns);
      elapsedMs += round.elapsedMs;
      cpu += roundCpu;
      embeds += roundEmbeds;
    }
    const ok = turns.filter((t) => t.completed);
    const ttft = ok.flatMap((t) => (t.ttftMs === null ? [] : [t.ttftMs]));
    const total = ok.map((t) => t.totalMs);
    const { peak } = memoryMiB(pid);
    const row = {
      users,
      turns: turns.length,
      failed: turns.length - ok.length,
      turnsPerSecond: turns.length / (elapsedMs / 1000),
      ttftP50: p50(ttft),
      ttftP99: p99(ttft),
      ttftP50ByRound: [Math.min(...roundP50s), Math.max(...roundP50s)],
      overheadP50: p50(overheads),
      overheadP99: p99(overheads),
      totalP50: p50(total),
      totalP99: p99(total),
      cpuMsPerTurn: cpu / turns.length,
      cpuMsPerTurnNetOfIdle: (cpu - (stack.idleCpuMsPerSecond * elapsedMs) / 1000) / turns.length,
      embedsPerTurn: embeds / turns.length,
      peakRssMiB: peak,
      serverBusy: cpu / elapsedMs,
      loadCoreBusy: loadCpu / elapsedMs,
    };
    results.push(row);
    rows.push([
      users,
      `${row.turns}${row.failed ? ` (${row.failed} failed)` : ''}`,
      fixed(row.turnsPerSecond, 2),
      fixed(row.ttftP50),
      fixed(row.ttftP99),
      `${fixed(row.ttftP50ByRound[0] as number)}–${fixed(row.ttftP50ByRound[1] as number)}`,
      fixed(row.overheadP50),
      fixed(row.overheadP99),
      fixed(row.totalP50, 0),
      fixed(row.totalP99, 0),
      fixed(row.cpuMsPerTurn, 1),
      fixed(row.cpuMsPerTurnNetOfIdle, 1),
      fixed(row.embedsPerTurn, 2),
      fixed(row.peakRssMiB, 0),
      `${fixed(row.serverBusy * 100, 0)}% / ${fixed(row.loadCoreBusy * 100, 0)}%`,
    ]);
    for (const phase of PHASES) phaseRows.get(phase)?.push(...phaseCells(ok, phase));
  }
  printTable(
    `Closed loop over SSE: ${rounds} rounds of ${args['round-s']} s per concurrency after a ${args['warmup-s']} s warm-up; users start spread over ${args['stagger-ms']} ms. ` +
      `Provider: first fragment after ${pace.firstTokenMs} ms, ${pace.tokens} fragments ${pace.tokenGapMs} ms apart, ` +
      `${pace.embedMs} ms per embedding request. Times in ms; overhead = TTFT − ${pace.firstTokenMs} − ${pace.embedMs} × embeds/turn.`,
    [
      'users',
      'turns',
      'turns/s',
      'TTFT p50',
      'TTFT p99',
      'p50 by round',
      'overhead p50',
      'overhead p99',
      'total p50',
      'total p99',
      'CPU ms/turn',
      'net of idle',
      'embeds/turn',
      'peak RSS MiB',
      'busy: server / load core',
    ],
    rows,
  );
  printTable(
    "Where the time goes: the server's own timings (the `done` event's `timings`), p50 and p99 in ms",
    ['phase', ...levels.flatMap((u) => [`${u} users p50`, 'p99'])],
    [...phaseRows.values()],
  );
  report.load = { pace, results };
}

async function runBurst(stack: Stack): Promise<void> {
  const pace = await setPace(stack, {
    firstTokenMs: DEFAULT_PACE.firstTokenMs,
    tokens: Number(args['burst-tokens']),
    tokenGapMs: Number(args['burst-gap-ms']),
    embedMs: DEFAULT_PACE.embedMs,
  });
  const pid = stack.server.proc.pid;
  const ticks = clockTicks();
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  const sizes = list(args.bursts);
  const phaseRows = new Map<string, string[]>(PHASES.map((p) => [p, [p]]));
  for (const size of sizes) {
    resetPeakRss(pid);
    let sampledPeak = 0;
    const cpuBefore = cpuMs(pid, ticks);
    const burstStart = performance.now();
    // The server's CPU over time, to tell how busy its core was until every answer was streaming.
    const cpuSamples: { at: number; cpu: number }[] = [];
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, memoryMiB(pid).rss);
      cpuSamples.push({ at: performance.now() - burstStart, cpu: cpuMs(pid, ticks) - cpuBefore });
    }, 100);
    const loadBefore = loadCpuMs(stack, ticks);
    const before = await providerStats(stack);
    const result = await burst(stack.base, size, stack.questions);
    clearInterval(sampler);
    const cpu = cpuMs(pid, ticks) - cpuBefore;
    const loadCpu = loadCpuMs(stack, ticks) - loadBefore;
    const untilStreaming = cpuSamples.filter((x) => x.at <= result.allStreamingMs).at(-1);
    const busyUntilStreaming = untilStreaming ? untilStreaming.cpu / untilStreaming.at : Number.NaN;
    const after = await providerStats(stack);
    const ttft = result.turns.flatMap((t) => (t.ttftMs === null ? [] : [t.ttftMs]));
    const refusals = new Map<string, number>();
    for (const t of result.turns)
      if (!t.completed) {
        const key = t.status === 200 ? (t.errorCode ?? 'unfinished') : `${t.status} ${t.errorCode ?? ''}`.trim();
        refusals.set(key, (refusals.get(key) ?? 0) + 1);
      }
    const row = {
      size,
      allStreamingMs: result.allStreamingMs,
      ttftP50: p50(ttft),
      ttftP99: p99(ttft),
      completed: result.turns.filter((t) => t.completed).length,
      refused429: result.turns.filter((t) => t.status === 429).length,
      refused503: result.turns.filter((t) => t.status === 503).length,
      notCompleted: Object.fromEntries(refusals),
      elapsedMs: result.elapsedMs,
      cpuMsPerAnswer: cpu / size,
      peakRssMiB: Math.max(sampledPeak, memoryMiB(pid).peak),
      providerPeakStreams: after.peakStreams,
      providerChats: after.chatRequests - before.chatRequests,
      serverCpuMs: cpu,
      serverBusyUntilAllStreaming: busyUntilStreaming,
      loadCoreCpuMs: loadCpu,
    };
    results.push(row);
    for (const phase of PHASES) phaseRows.get(phase)?.push(...phaseCells(result.turns, phase));
    rows.push([
      size,
      fixed(row.allStreamingMs / 1000, 2),
      fixed(row.ttftP50, 0),
      fixed(row.ttftP99, 0),
      `${row.completed}/${size}`,
      row.refused429,
      row.refused503,
      fixed(row.elapsedMs / 1000, 1),
      fixed(row.cpuMsPerAnswer, 2),
      fixed(row.peakRssMiB, 0),
      `${fixed(cpu / 1000, 1)} s / ${fixed(loadCpu / 1000, 1)} s`,
      `${fixed(busyUntilStreaming * 100, 0)}%`,
    ]);
    if (refusals.size > 0)
      console.log(`burst ${size}: not completed: ${[...refusals].map(([k, n]) => `${n} × ${k}`).join(', ')}`);
    // The provider's stream peak is cumulative; each burst restarts it.
    await fetch(`${stack.provider}/_bench/reset`, { method: 'POST', body: '{}' });
  }
  printTable(
    `Bursts: K answers asked at once over SSE. Provider: first fragment after ${pace.firstTokenMs} ms, ${pace.tokens} fragments ` +
      `${pace.tokenGapMs} ms apart. Server BUN_CONFIG_MAX_HTTP_REQUESTS=${args['server-max-http']}, MAX_STREAMS_PER_USER=1000000 (one user).`,
    [
      'K',
      'all streaming s',
      'TTFT p50 ms',
      'TTFT p99 ms',
      'completed',
      '429',
      '503',
      'all done s',
      'CPU ms/answer',
      'peak RSS MiB',
      'CPU: server / load core',
      'server busy until all streaming',
    ],
    rows,
  );
  printTable(
    "Where a burst answer's time goes (completed answers' `timings`), p50 and p99 in ms",
    ['phase', ...sizes.flatMap((k) => [`K=${k} p50`, 'p99'])],
    [...phaseRows.values()],
  );
  report.burst = { pace, results };
}

if (parts.has('load') || parts.has('burst')) {
  const stack = await startStack();
  try {
    if (parts.has('load')) await runLoad(stack);
    if (parts.has('burst')) await runBurst(stack);
  } finally {
    await stack.server.stop();
    await stack.fake.stop();
    rmSync(stack.dataDir, { recursive: true, force: true });
  }
}
if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
