import { LocalEmbeddingClient } from '../../src/providers/local-embedding-client.ts';

/**
 * An OpenAI-compatible server on loopback that speaks the real wire format: `POST
 * /v1/chat/completions` (JSON, or `text/event-stream` of `chat.completion.chunk` objects ending in
 * `data: [DONE]`), `POST /v1/embeddings`, `GET /v1/models`, and OpenAI's error shape
 * `{ error: { message, type, code } }`. Requests are checked against the API's contract, so a
 * client that sends a malformed request fails here as it would against the real service.
 * Tests script it: what to answer, how fast, when to fail, and it records what it saw.
 */
export interface StandInScript {
  /** Fragments of the answer, streamed one per chunk. */
  tokens: string[];
  /** Pause before each chunk. @default 0 */
  delayMs?: number;
  /** Answer every chat request with this HTTP status and an OpenAI error body. */
  failWithStatus?: number;
  /** Drop the connection after this many chunks, without `[DONE]`. */
  cutAfter?: number;
  /** Go silent after this many chunks, keeping the connection open until the client leaves. */
  stallAfter?: number;
  /** Latency of each embeddings request, as a remote provider has. @default 0 */
  embedDelayMs?: number;
  /** Let embeddings through while chat requests fail with `failWithStatus`. */
  failChatOnly?: boolean;
  /** With `failWithStatus`, the `Retry-After` header sent (seconds), which the SDK waits out. */
  retryAfterSeconds?: number;
  /**
   * Hang: accept the request and send nothing (no status, no headers) until the client leaves.
   * `chat` and `embeddings` hang those requests; a number hangs only that many chat requests from
   * now on (`script` is replaced to reset the count), then answers as scripted.
   */
  hang?: { chat?: boolean | number; embeddings?: boolean };
}

export interface SeenRequest {
  path: string;
  body: Record<string, unknown>;
  authorization: string | null;
  /** When the client closed the request before the answer ended (ms since the request arrived). */
  abortedAfterMs?: number;
  chunksSent: number;
  /** When it arrived, on this process's `performance.now()` clock. */
  arrivedAt: number;
}

export class OpenAiStandIn {
  script: StandInScript = { tokens: ['Hello', ' world'] };
  readonly requests: SeenRequest[] = [];
  private server: ReturnType<typeof Bun.serve> | null = null;
  private readonly embedder: LocalEmbeddingClient;

  /** `dimensions` of the embeddings it serves. @default 64 */
  constructor(dimensions = 64) {
    this.embedder = new LocalEmbeddingClient(dimensions);
  }

  get url(): string {
    return `http://127.0.0.1:${this.server?.port}/v1`;
  }

  start(): this {
    this.server = Bun.serve({ port: 0, hostname: '127.0.0.1', idleTimeout: 0, fetch: (req) => this.handle(req) });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
  }

  lastRequest(path = '/v1/chat/completions'): SeenRequest | undefined {
    return this.requests.filter((r) => r.path === path).at(-1);
  }

  private async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    if (req.method === 'GET' && path === '/v1/models') {
      return Response.json({
        object: 'list',
        data: [{ id: 'stand-in-model', object: 'model', created: 0, owned_by: 'test' }],
      });
    }
    let body: Record<string, unknown>;
    try {
      body = (await req.json()) as Record<string, unknown>;
    } catch {
      return error(400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
    }
    const seen: SeenRequest = {
      path,
      body,
      authorization: req.headers.get('authorization'),
      chunksSent: 0,
      arrivedAt: performance.now(),
    };
    this.requests.push(seen);
    if (req.method === 'POST' && path === '/v1/chat/completions') return this.chat(req, body, seen);
    if (req.method === 'POST' && path === '/v1/embeddings')
      return this.script.hang?.embeddings ? this.hangUntilLeft(req, seen) : this.embeddings(body);
    return error(404, `Unknown path ${path}`, 'invalid_request_error');
  }

  private retryAfter(): Record<string, string> {
    const seconds = this.script.retryAfterSeconds;
    return seconds === undefined ? {} : { 'retry-after': String(seconds) };
  }

  /** Sends nothing until the client gives up; resolves then, so the handler can end. */
  private async hangUntilLeft(req: Request, seen: SeenRequest): Promise<Response> {
    const arrived = performance.now();
    while (!req.signal.aborted) await Bun.sleep(10);
    seen.abortedAfterMs = performance.now() - arrived;
    return new Response(null, { status: 499 });
  }

  /** Whether this chat request is one the script hangs (and counts it). */
  private hangsChat(): boolean {
    const hang = this.script.hang?.chat;
    if (typeof hang !== 'number') return hang === true;
    const hung = this.hungChats.get(this.script) ?? 0;
    if (hung >= hang) return false;
    this.hungChats.set(this.script, hung + 1);
    return true;
  }

  private readonly hungChats = new WeakMap<StandInScript, number>();

  private chat(req: Request, body: Record<string, unknown>, seen: SeenRequest): Response | Promise<Response> {
    const problem = checkChatRequest(body);
    if (problem) return error(400, problem, 'invalid_request_error');
    const script = this.script;
    if (this.hangsChat()) return this.hangUntilLeft(req, seen);
    if (script.failWithStatus) {
      return error(
        script.failWithStatus,
        'The stand-in was told to fail.',
        script.failWithStatus === 429 ? 'rate_limit_exceeded' : 'server_error',
        this.retryAfter(),
      );
    }
    const model = body.model as string;
    const id = `chatcmpl-${crypto.randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    if (body.stream !== true) {
      return Response.json({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: script.tokens.join('') },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: script.tokens.length, total_tokens: 10 + script.tokens.length },
      });
    }

    const arrived = performance.now();
    const encoder = new TextEncoder();
    const chunk = (delta: Record<string, unknown>, finish: string | null) =>
      encoder.encode(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`,
      );
    let aborted = false;
    req.signal.addEventListener('abort', () => {
      aborted = true;
      if (seen.abortedAfterMs === undefined) seen.abortedAfterMs = performance.now() - arrived;
    });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          controller.enqueue(chunk({ role: 'assistant', content: '' }, null));
          for (const [i, token] of script.tokens.entries()) {
            if (script.cutAfter !== undefined && i >= script.cutAfter) {
              // Let what was sent reach the client first, as it would over a real network.
              await Bun.sleep(50);
              controller.error(new Error('connection cut by the stand-in'));
              return;
            }
            if (script.stallAfter !== undefined && i >= script.stallAfter) {
              while (!aborted) await Bun.sleep(20);
              return;
            }
            if (script.delayMs) await Bun.sleep(script.delayMs);
            if (aborted) return;
            controller.enqueue(chunk({ content: token }, null));
            seen.chunksSent++;
          }
          controller.enqueue(chunk({}, 'stop'));
          controller.enqueue(encoder.encode('data: [DONE]\n\n'));
          controller.close();
        } catch {
          // The client went away; nothing to send to.
        }
      },
      cancel() {
        aborted = true;
        if (seen.abortedAfterMs === undefined) seen.abortedAfterMs = performance.now() - arrived;
      },
    });
    return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
  }

  private async embeddings(body: Record<string, unknown>): Promise<Response> {
    const input = body.input;
    const texts = typeof input === 'string' ? [input] : input;
    if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === 'string' && t.length > 0)) {
      return error(400, "'input' must be a non-empty string or array of non-empty strings.", 'invalid_request_error');
    }
    if (typeof body.model !== 'string' || body.model === '')
      return error(400, "'model' is required.", 'invalid_request_error');
    if (this.script.failWithStatus && !this.script.failChatOnly)
      return error(this.script.failWithStatus, 'The stand-in was told to fail.', 'server_error', this.retryAfter());
    if (this.script.embedDelayMs) await Bun.sleep(this.script.embedDelayMs);
    const vectors = await this.embedder.embed(texts as string[]);
    return Response.json({
      object: 'list',
      model: body.model,
      // Out of order on purpose: clients must sort by `index`.
      data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: Array.from(v) })).reverse(),
      usage: { prompt_tokens: texts.length, total_tokens: texts.length },
    });
  }
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);

/** The parts of the chat completions contract ragchat relies on. */
function checkChatRequest(body: Record<string, unknown>): string | null {
  if (typeof body.model !== 'string' || body.model === '') return "'model' is required.";
  if (!Array.isArray(body.messages) || body.messages.length === 0) return "'messages' must be a non-empty array.";
  for (const [i, m] of (body.messages as Record<string, unknown>[]).entries()) {
    if (typeof m !== 'object' || m === null || !ROLES.has(m.role as string)) return `'messages.${i}.role' is invalid.`;
    if (typeof m.content !== 'string') return `'messages.${i}.content' must be a string.`;
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') return "'stream' must be a boolean.";
  if (body.max_tokens !== undefined && (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1)) {
    return "'max_tokens' must be a positive integer.";
  }
  return null;
}

function error(status: number, message: string, type: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error: { message, type, param: null, code: type } }, { status, headers });
}
