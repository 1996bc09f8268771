/**
 * An OpenAI-compatible provider for benchmarks, over real HTTP on loopback, with a fixed pace so
 * that whatever a client measures beyond that pace is ragchat's own:
 * - `POST /v1/chat/completions`: streamed (`text/event-stream` of `chat.completion.chunk` objects
 *   ending in `data: [DONE]`, as OpenAI sends them) or, without `stream: true`, one
 *   `chat.completion` once the whole answer would have been written;
 * - `POST /v1/embeddings`: deterministic vectors (words hashed into `dimensions` signed buckets,
 *   unit length), `float` or `base64`;
 * - `GET /v1/models`.
 * Unlike the tests' stand-in (test/support/openai-stand-in.ts) it records no request, only
 * counters, so that it holds thousands of streams; and it runs in a process of its own, so its CPU
 * is not counted as the server's:
 *
 *   bun run bench/fake-provider.ts [--port=0] [--first-token-ms=200] [--tokens=60] [--token-gap-ms=20]
 *                                  [--embed-ms=20] [--dimensions=384]
 *
 * It prints one JSON line, `{"url": "http://127.0.0.1:<port>/v1"}`, once it listens. The bench
 * reads counters from `GET /_bench/stats` and changes the pace with `POST /_bench/pace` (a JSON
 * object with any of the pace's fields).
 */
import { parseArgs } from 'node:util';

/** How fast the provider answers. */
export interface Pace {
  /** From the request to the first fragment of the answer. @default 200 */
  firstTokenMs: number;
  /** Fragments in an answer, the first one included. @default 60 */
  tokens: number;
  /** Between two fragments. @default 20 */
  tokenGapMs: number;
  /** Latency of each embeddings request, whatever its size. @default 20 */
  embedMs: number;
}

export const DEFAULT_PACE: Pace = { firstTokenMs: 200, tokens: 60, tokenGapMs: 20, embedMs: 20 };

/** What the provider has served since it started (or since the last reset). */
export interface ProviderStats {
  chatRequests: number;
  embeddingRequests: number;
  embeddingInputs: number;
  /** Streams being written now, and the most at once. */
  openStreams: number;
  peakStreams: number;
}

export interface FakeProvider {
  /** The base URL clients are given, ending in `/v1`. */
  url: string;
  port: number;
  pace: Pace;
  stats: ProviderStats;
  stop(): Promise<void>;
}

const encoder = new TextEncoder();
// Answer words; every fifth fragment cites a passage, so the server's citation handling runs.
const WORDS = ['The', ' setting', ' is', ' read', ' once', ' at', ' start', ' and', ' checked', ' [1]'];
/** Each fragment's JSON string, made once: streams only concatenate. */
const WORD_JSON = WORDS.map((w) => JSON.stringify(w));

const emptyStats = (): ProviderStats => ({
  chatRequests: 0,
  embeddingRequests: 0,
  embeddingInputs: 0,
  openStreams: 0,
  peakStreams: 0,
});

export function startFakeProvider(
  options: { port?: number; hostname?: string; pace?: Partial<Pace>; dimensions?: number } = {},
): FakeProvider {
  const dimensions = options.dimensions ?? 384;
  const provider: FakeProvider = {
    url: '',
    port: 0,
    pace: { ...DEFAULT_PACE, ...options.pace },
    stats: emptyStats(),
    stop: async () => {
      await server.stop(true);
    },
  };
  let sequence = 0;

  const chat = async (body: Record<string, unknown>): Promise<Response> => {
    provider.stats.chatRequests++;
    const model = typeof body.model === 'string' ? body.model : 'fake-chat';
    const id = `chatcmpl-bench${++sequence}`;
    const created = Math.floor(Date.now() / 1000);
    const pace = provider.pace;
    if (body.stream !== true) {
      await Bun.sleep(pace.firstTokenMs + Math.max(0, pace.tokens - 1) * pace.tokenGapMs);
      let content = '';
      for (let i = 0; i < pace.tokens; i++) content += WORDS[i % WORDS.length];
      return Response.json({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', logprobs: null }],
        usage: { prompt_tokens: 100, completion_tokens: pace.tokens, total_tokens: 100 + pace.tokens },
      });
    }
    return new Response(chunkStream(provider, id, created, model), {
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' },
    });
  };

  const embeddings = async (body: Record<string, unknown>): Promise<Response> => {
    const input = body.input;
    const texts = typeof input === 'string' ? [input] : Array.isArray(input) ? input.map(String) : null;
    if (!texts || texts.length === 0) return openAiError(400, "'input' must be a string or an array of strings.");
    provider.stats.embeddingRequests++;
    provider.stats.embeddingInputs += texts.length;
    await Bun.sleep(provider.pace.embedMs);
    const base64 = body.encoding_format === 'base64';
    let tokens = 0;
    const data = texts.map((text, index) => {
      const vector = hashedVector(text, dimensions);
      tokens += Math.ceil(text.length / 4);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
      };
    });
    return Response.json({
      object: 'list',
      data,
      model: typeof body.model === 'string' ? body.model : 'fake-embed',
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  const server = Bun.serve({
    port: options.port ?? 0,
    hostname: options.hostname ?? '127.0.0.1',
    // Streams under a slow pace are silent for seconds; never close them for it.
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      if (req.method === 'GET' && path === '/v1/models')
        return Response.json({
          object: 'list',
          data: [{ id: 'fake-chat', object: 'model', created: 0, owned_by: 'bench' }],
        });
      if (req.method === 'GET' && path === '/_bench/stats') return Response.json(provider.stats);
      if (req.method !== 'POST') return openAiError(404, `Unknown path ${path}`);
      let body: Record<string, unknown>;
      try {
        body = (await req.json()) as Record<string, unknown>;
      } catch {
        return openAiError(400, 'We could not parse the JSON body of your request.');
      }
      if (path === '/v1/chat/completions') return chat(body);
      if (path === '/v1/embeddings') return embeddings(body);
      if (path === '/_bench/pace') {
        provider.pace = { ...provider.pace, ...(body as Partial<Pace>) };
        return Response.json(provider.pace);
      }
      if (path === '/_bench/reset') {
        provider.stats = { ...emptyStats(), openStreams: provider.stats.openStreams };
        return Response.json(provider.stats);
      }
      return openAiError(404, `Unknown path ${path}`);
    },
  });
  provider.port = server.port as number;
  provider.url = `http://127.0.0.1:${provider.port}/v1`;
  return provider;
}

/**
 * OpenAI's stream: a first chunk with the role, one chunk per fragment, a last one with
 * `finish_reason: "stop"`, then `data: [DONE]`. One timer per stream at a time, no buffering.
 */
function chunkStream(provider: FakeProvider, id: string, created: number, model: string): ReadableStream<Uint8Array> {
  const pace = provider.pace;
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[{"index":0,"delta":`;
  const stats = provider.stats;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    clearTimeout(timer);
    // The stats object may have been replaced by a reset meanwhile; count on the current one.
    provider.stats.openStreams--;
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      stats.openStreams++;
      if (stats.openStreams > stats.peakStreams) stats.peakStreams = stats.openStreams;
      let sent = 0;
      const next = () => {
        if (!open) return;
        try {
          if (sent === 0)
            controller.enqueue(
              encoder.encode(`${head}{"role":"assistant","content":"","refusal":null},"finish_reason":null}]}\n\n`),
            );
          if (sent < pace.tokens) {
            controller.enqueue(
              encoder.encode(`${head}{"content":${WORD_JSON[sent % WORD_JSON.length]}},"finish_reason":null}]}\n\n`),
            );
            sent++;
            timer = setTimeout(next, pace.tokenGapMs);
            return;
          }
          controller.enqueue(encoder.encode(`${head}{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`));
          close();
          controller.close();
        } catch {
          close();
        }
      };
      timer = setTimeout(next, pace.firstTokenMs);
    },
    cancel: close,
  });
}

/** Words hashed (FNV-1a) into signed buckets, then scaled to unit length: similar texts, similar vectors. */
export function hashedVector(text: string, dimensions: number): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const word of text.toLowerCase().split(/[^a-z0-9]+/)) {
    if (word.length === 0) continue;
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
    const bucket = (h >>> 0) % dimensions;
    vector[bucket] = (vector[bucket] as number) + (h & 0x80000000 ? -1 : 1);
  }
  let norm = 0;
  for (const x of vector) norm += x * x;
  if (norm === 0) vector[0] = 1;
  else for (let i = 0; i < dimensions; i++) vector[i] = (vector[i] as number) / Math.sqrt(norm);
  return vector;
}

function openAiError(status: number, message: string): Response {
  return Response.json({ error: { message, type: 'invalid_request_error', code: null } }, { status });
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      port: { type: 'string', default: '0' },
      'first-token-ms': { type: 'string' },
      tokens: { type: 'string' },
      'token-gap-ms': { type: 'string' },
      'embed-ms': { type: 'string' },
      dimensions: { type: 'string', default: '384' },
    },
  });
  const number = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
  const provider = startFakeProvider({
    port: Number(values.port),
    dimensions: Number(values.dimensions),
    pace: {
      firstTokenMs: number(values['first-token-ms'], DEFAULT_PACE.firstTokenMs),
      tokens: number(values.tokens, DEFAULT_PACE.tokens),
      tokenGapMs: number(values['token-gap-ms'], DEFAULT_PACE.tokenGapMs),
      embedMs: number(values['embed-ms'], DEFAULT_PACE.embedMs),
    },
  });
  console.log(JSON.stringify({ url: provider.url }));
  process.on('SIGTERM', () => void provider.stop().then(() => process.exit(0)));
}
