/**
 * How fast ragchat answers on its embedded defaults, measured over real HTTP on loopback:
 * - retrieval: embed + hybrid search of one question (in process)
 * - first token: POST /api/chat (SSE) → first `token` event, the delay a user sees before text
 * - full answer: POST /api/chat (JSON) → whole answer stored
 * The offline answerer runs unpaced (no word delay) so the numbers are ragchat's own overhead.
 *
 *   npm run bench            (or: bun run bench/chat-latency.ts [requests])
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.tsx';
import { loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/logger.ts';
import { OfflineLlmClient } from '../src/providers/offline-llm-client.ts';
import { percentile } from '../src/rag/evaluation.ts';
import { Retriever } from '../src/rag/retriever.ts';
import { openDeps } from '../src/startup.ts';

const REQUESTS = Number(Bun.argv[2] ?? 200);
const QUESTIONS = [
  'How do I start ragchat on my laptop?',
  'How are answers streamed to the browser?',
  'What does the offline mode do?',
  'How do I add my own documents?',
  'Where is my data?',
  'How do I stop an answer?',
  'Which environment variables configure the language model?',
  'Why does the server refuse to start?',
];

const report = (name: string, xs: number[]) =>
  console.log(
    `${name.padEnd(28)} n=${String(xs.length).padStart(4)}  p50 ${percentile(xs, 50).toFixed(2).padStart(7)} ms  p95 ${percentile(xs, 95).toFixed(2).padStart(7)} ms  max ${Math.max(
      ...xs,
    )
      .toFixed(2)
      .padStart(7)} ms`,
  );

const dataDir = mkdtempSync(join(tmpdir(), 'ragchat-bench-'));
const deps = await openDeps(loadConfig({ DATA_DIR: dataDir, RATE_LIMIT_CHAT_PER_MINUTE: '100000' }), {
  logger: silentLogger,
  llm: new OfflineLlmClient({ wordDelayMs: 0 }),
});
const t0 = performance.now();
const summary = await deps.ingestion.ingestPaths([join(import.meta.dir, '..', 'ingest', 'sample-docs')]);
console.log(
  `ingest sample corpus: ${summary.documents} documents, ${summary.chunks} chunks in ${(performance.now() - t0).toFixed(0)} ms`,
);

const retriever = new Retriever(deps.embedder, deps.vectors);
const retrieval: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  const started = performance.now();
  await retriever.retrieve(QUESTIONS[i % QUESTIONS.length] as string, deps.config.topK);
  retrieval.push(performance.now() - started);
}

const server = createApp(deps).listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 0 });
const base = `http://127.0.0.1:${server.server?.port}`;
const firstToken: number[] = [];
const fullAnswer: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  const message = QUESTIONS[i % QUESTIONS.length];
  let started = performance.now();
  const res = await fetch(`${base}/api/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ message }),
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  let seen = false;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    if (!seen && text.includes('event: token')) {
      firstToken.push(performance.now() - started);
      seen = true;
    }
  }
  started = performance.now();
  await (
    await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message }),
    })
  ).json();
  fullAnswer.push(performance.now() - started);
}

console.log(`\n${REQUESTS} requests each, sequential, Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores`);
report('retrieval (embed + search)', retrieval);
report('first token over SSE', firstToken);
report('full answer over JSON', fullAnswer);
server.stop(true);
await deps.close();
rmSync(dataDir, { recursive: true, force: true });
