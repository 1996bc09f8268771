/**
 * The least a chat server on Bun can do for one answer over the benchmark's wire: read the JSON
 * question, ask the provider for its embedding, ask for the streamed answer, and write each
 * fragment as a `token` event, then `done`. No storage, no search, no prompt, no SDK, no metrics:
 * what is left is the HTTP on both sides, which every server pays. The bench runs it in place of
 * ragchat (`npm run bench -- --only=load --server-entry=bench/floor-server.ts`) so that ragchat's
 * figures can be read against it: the difference is what ragchat's own work costs.
 *
 * It answers what the bench asks of a server: `/healthz`; `/metrics` with the ingestion counter
 * (every file of SEED_DOCS_DIR at once, as nothing is ingested); `POST /api/chat` over SSE.
 */
import { readdirSync } from 'node:fs';
import { chatCompletionDeltas } from '../src/providers/chat-completion-deltas.ts';

const base = process.env.LLM_BASE_URL ?? 'http://127.0.0.1:8080/v1';
const seeded = process.env.SEED_DOCS_DIR ? readdirSync(process.env.SEED_DOCS_DIR).length : 0;
const encoder = new TextEncoder();
const json = { 'content-type': 'application/json' };

async function answer(message: string, write: (event: string) => void): Promise<void> {
  const embedded = await fetch(`${base}/embeddings`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ model: 'fake-embed', input: [message] }),
  });
  await embedded.json();
  const streamed = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ model: 'fake-chat', stream: true, messages: [{ role: 'user', content: message }] }),
  });
  for await (const text of chatCompletionDeltas(streamed)) write(`event: token\ndata: ${JSON.stringify({ text })}\n\n`);
  write(`event: done\ndata: ${JSON.stringify({ status: 'complete', timings: {} })}\n\n`);
}

const server = Bun.serve({
  port: Number(process.env.PORT ?? 3000),
  hostname: process.env.HOST ?? '127.0.0.1',
  idleTimeout: 0,
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === '/healthz') return Response.json({ status: 'ok' });
    if (path === '/metrics') return new Response(`ragchat_ingest_documents_total{outcome="added"} ${seeded}\n`);
    if (path !== '/api/chat' || req.method !== 'POST') return new Response('not found', { status: 404 });
    const { message } = (await req.json()) as { message: string };
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const write = (event: string) => controller.enqueue(encoder.encode(event));
        answer(message, write).then(
          () => controller.close(),
          (error) => controller.error(error),
        );
      },
    });
    return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
  },
});
console.log(`floor server on ${server.port}`);
