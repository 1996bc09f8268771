import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { LocalEmbeddingClient } from '../../src/providers/local-embedding-client.ts';

/**
 * Amazon Bedrock Runtime on loopback, speaking its wire format to the real
 * `@aws-sdk/client-bedrock-runtime`: `POST /model/{modelId}/converse-stream` answers
 * `application/vnd.amazon.eventstream` (AWS event-stream framing: prelude, headers, payload, CRCs)
 * with `messageStart`, `contentBlockDelta`..., `contentBlockStop`, `messageStop`, `metadata` events;
 * `POST /model/{modelId}/invoke` answers Titan Text Embeddings v2 and Cohere Embed v3 bodies.
 * Faults use AWS's JSON error shape (`{message}` with the `x-amzn-ErrorType` header), and
 * mid-stream faults are event-stream `exception` messages, as Bedrock sends them.
 *
 * Each request is checked as Bedrock would (SigV4 for the `bedrock` service, the API's body shape,
 * unknown fields refused): a bad one gets a ValidationException and is recorded in `violations`,
 * which the suites assert empty, so a client that would fail against AWS fails here.
 */
export interface BedrockScript {
  /** Fragments of the answer, one `contentBlockDelta` each. */
  tokens: string[];
  /** Pause before each delta. @default 0 */
  delayMs?: number;
  /** Pause before the response headers (converse and invoke). @default 0 */
  latencyMs?: number;
  /** Answer this many requests (from now on) with `fault` before behaving. @default every request */
  faultTimes?: number;
  /** An HTTP fault: AWS's error type name, e.g. `ThrottlingException`. */
  fault?: BedrockFault;
  /** A stream exception (e.g. `throttlingException`, `modelStreamErrorException`) after this many deltas. */
  streamException?: { after: number; type: string };
  /** Go silent after this many deltas, keeping the connection open until the client leaves. */
  stallAfter?: number;
}

export type BedrockFault =
  | 'ThrottlingException'
  | 'AccessDeniedException'
  | 'ValidationException'
  | 'ResourceNotFoundException'
  | 'ServiceUnavailableException'
  | 'InternalServerException';

const FAULT_STATUS: Record<BedrockFault, number> = {
  ThrottlingException: 429,
  AccessDeniedException: 403,
  ValidationException: 400,
  ResourceNotFoundException: 404,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
};

export interface SeenBedrockRequest {
  api: 'converse-stream' | 'invoke' | 'other';
  modelId: string;
  body: Record<string, unknown>;
  authorization: string | null;
  /** When the client closed the connection before the answer ended (ms since the request arrived). */
  abortedAfterMs?: number;
  deltasSent: number;
}

/** The models whose `invoke` bodies the stand-in knows, as their model cards describe them. */
export const TITAN_V2 = 'amazon.titan-embed-text-v2:0';
const COHERE = new Set(['cohere.embed-english-v3', 'cohere.embed-multilingual-v3']);

// The codec wants the two UTF-8 helpers of @smithy/util-utf8; the platform's own encoder and decoder
// are the same functions, and that package is not one of ours.
const codec = new EventStreamCodec(
  (bytes) => new TextDecoder().decode(bytes),
  (text) => new TextEncoder().encode(text),
);

export class BedrockStandIn {
  script: BedrockScript = { tokens: ['Hello', ' world'] };
  readonly requests: SeenBedrockRequest[] = [];
  /** Requests Bedrock would have refused; tests assert this stays empty. */
  readonly violations: string[] = [];
  private server: ReturnType<typeof Bun.serve> | null = null;
  private faultsLeft = Number.POSITIVE_INFINITY;
  private readonly embedders = new Map<number, LocalEmbeddingClient>();

  get url(): string {
    return `http://127.0.0.1:${this.server?.port}`;
  }

  start(): this {
    this.server = Bun.serve({ port: 0, hostname: '127.0.0.1', idleTimeout: 0, fetch: (req) => this.handle(req) });
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.stop(true);
  }

  /** Replaces the script; `faultTimes` counts from here. */
  setScript(script: BedrockScript): void {
    this.script = script;
    this.faultsLeft = script.faultTimes ?? Number.POSITIVE_INFINITY;
  }

  lastRequest(api: SeenBedrockRequest['api'] = 'converse-stream'): SeenBedrockRequest | undefined {
    return this.requests.filter((r) => r.api === api).at(-1);
  }

  private async handle(req: Request): Promise<Response> {
    const path = new URL(req.url).pathname;
    const match = /^\/model\/([^/]+)\/(converse-stream|invoke)$/.exec(path);
    const api = match ? (match[2] as 'converse-stream' | 'invoke') : 'other';
    const modelId = match ? decodeURIComponent(match[1] as string) : '';
    const authorization = req.headers.get('authorization');
    let body: Record<string, unknown> = {};
    let parseProblem: string | null = null;
    try {
      body = (await req.json()) as Record<string, unknown>;
    } catch {
      parseProblem = 'The request body is not valid JSON.';
    }
    const seen: SeenBedrockRequest = { api, modelId, body, authorization, deltasSent: 0 };
    this.requests.push(seen);
    if (req.method !== 'POST' || !match) return this.refuse(404, 'UnknownOperationException', `No route ${path}`);
    const problem =
      checkSignature(authorization) ??
      parseProblem ??
      (api === 'converse-stream' ? checkConverse(body) : checkInvoke(modelId, body, req.headers));
    if (problem) return this.refuse(400, 'ValidationException', problem);

    const script = this.script;
    if (script.latencyMs) await Bun.sleep(script.latencyMs);
    if (script.fault && this.faultsLeft > 0) {
      this.faultsLeft--;
      return error(FAULT_STATUS[script.fault], script.fault, 'The stand-in was told to fail.');
    }
    if (api === 'invoke') return this.invoke(modelId, body);
    return this.converseStream(req, seen);
  }

  /** A request Bedrock would refuse: answered as Bedrock would, and recorded to fail the test. */
  private refuse(status: number, type: string, message: string): Response {
    this.violations.push(message);
    return error(status, type, message);
  }

  private converseStream(req: Request, seen: SeenBedrockRequest): Response {
    const script = this.script;
    const arrived = performance.now();
    let aborted = false;
    const noteAbort = () => {
      aborted = true;
      if (seen.abortedAfterMs === undefined) seen.abortedAfterMs = performance.now() - arrived;
    };
    req.signal.addEventListener('abort', noteAbort);
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          controller.enqueue(event('messageStart', { role: 'assistant' }));
          for (const [i, token] of script.tokens.entries()) {
            if (script.streamException && i >= script.streamException.after) {
              controller.enqueue(exception(script.streamException.type, 'The stand-in was told to fail mid-stream.'));
              controller.close();
              return;
            }
            if (script.stallAfter !== undefined && i >= script.stallAfter) {
              while (!aborted) await Bun.sleep(20);
              return;
            }
            if (script.delayMs) await Bun.sleep(script.delayMs);
            if (aborted) return;
            controller.enqueue(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: token } }));
            seen.deltasSent++;
          }
          controller.enqueue(event('contentBlockStop', { contentBlockIndex: 0 }));
          controller.enqueue(event('messageStop', { stopReason: 'end_turn' }));
          controller.enqueue(
            event('metadata', {
              usage: { inputTokens: 10, outputTokens: script.tokens.length, totalTokens: 10 + script.tokens.length },
              metrics: { latencyMs: Math.round(performance.now() - arrived) },
            }),
          );
          controller.close();
        } catch {
          // The client went away; nothing to send to.
        }
      },
      cancel: noteAbort,
    });
    return new Response(stream, {
      headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': crypto.randomUUID() },
    });
  }

  private async invoke(modelId: string, body: Record<string, unknown>): Promise<Response> {
    if (modelId === TITAN_V2) {
      const dims = (body.dimensions as number | undefined) ?? 1024;
      const [vector] = await this.embedderOf(dims).embed([body.inputText as string]);
      return Response.json({
        embedding: Array.from(vector as Float32Array),
        inputTextTokenCount: (body.inputText as string).split(/\s+/).length,
      });
    }
    const texts = body.texts as string[];
    // Cohere's vectors are not unit length; scaled here so clients must not assume they are.
    const vectors = await this.embedderOf(1024).embed(texts);
    return Response.json({
      id: crypto.randomUUID(),
      texts,
      embeddings: { float: vectors.map((v) => Array.from(v, (x) => x * 3)) },
      response_type: 'embeddings_by_type',
    });
  }

  private embedderOf(dims: number): LocalEmbeddingClient {
    let embedder = this.embedders.get(dims);
    if (!embedder) {
      embedder = new LocalEmbeddingClient(dims);
      this.embedders.set(dims, embedder);
    }
    return embedder;
  }
}

function event(type: string, payload: unknown): Uint8Array {
  return frame({ ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' }, payload);
}

function exception(type: string, message: string): Uint8Array {
  return frame(
    { ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' },
    {
      message,
    },
  );
}

function frame(headers: Record<string, string>, payload: unknown): Uint8Array {
  const typed: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers)) typed[name] = { type: 'string', value };
  return codec.encode({ headers: typed, body: new TextEncoder().encode(JSON.stringify(payload)) });
}

/** AWS's JSON error shape; the SDK reads the error's name from `x-amzn-ErrorType`. */
function error(status: number, type: string, message: string): Response {
  return Response.json(
    { message },
    { status, headers: { 'x-amzn-ErrorType': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` } },
  );
}

/**
 * SigV4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html): the
 * credential scope is `<key>/<date>/<region>/<service>/aws4_request`, and Bedrock Runtime's
 * signing name is `bedrock`.
 */
function checkSignature(authorization: string | null): string | null {
  if (!authorization) return 'Missing Authentication Token: no authorization header.';
  const scope =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}$/.exec(
      authorization,
    );
  if (!scope) return 'The authorization header is not an AWS4-HMAC-SHA256 signature.';
  if (scope[4] !== 'bedrock') return `The credential scope names service "${scope[4]}", not "bedrock".`;
  return null;
}

const CONVERSE_FIELDS = new Set([
  'messages',
  'system',
  'inferenceConfig',
  'toolConfig',
  'guardrailConfig',
  'additionalModelRequestFields',
  'promptVariables',
  'additionalModelResponseFieldPaths',
  'requestMetadata',
  'performanceConfig',
]);
const INFERENCE_FIELDS = new Set(['maxTokens', 'temperature', 'topP', 'stopSequences']);

/**
 * The parts of the Converse request (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html)
 * ragchat relies on, and the rules Bedrock enforces on them: the conversation starts with a user
 * turn and alternates, text blocks are not blank, `maxTokens` is at least 1.
 */
function checkConverse(body: Record<string, unknown>): string | null {
  const unknown = Object.keys(body).filter((k) => !CONVERSE_FIELDS.has(k));
  if (unknown.length > 0) return `Unknown fields: ${unknown.join(', ')}.`;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return "'messages' must be a non-empty list.";
  for (const [i, m] of (messages as Record<string, unknown>[]).entries()) {
    if (m?.role !== 'user' && m?.role !== 'assistant') return `messages.${i}.role must be user or assistant.`;
    if (i === 0 && m.role !== 'user') return 'A conversation must start with a user message.';
    if (i > 0 && (messages[i - 1] as Record<string, unknown>).role === m.role)
      return 'A conversation must alternate between user and assistant roles.';
    const problem = checkTextBlocks(m.content, `messages.${i}.content`);
    if (problem) return problem;
    const extra = Object.keys(m).filter((k) => k !== 'role' && k !== 'content');
    if (extra.length > 0) return `Unknown fields in messages.${i}: ${extra.join(', ')}.`;
  }
  if (body.system !== undefined) {
    const problem = checkTextBlocks(body.system, 'system');
    if (problem) return problem;
  }
  const inference = body.inferenceConfig as Record<string, unknown> | undefined;
  if (inference !== undefined) {
    const extra = Object.keys(inference).filter((k) => !INFERENCE_FIELDS.has(k));
    if (extra.length > 0) return `Unknown fields in inferenceConfig: ${extra.join(', ')}.`;
    if (
      inference.maxTokens !== undefined &&
      (!Number.isInteger(inference.maxTokens) || (inference.maxTokens as number) < 1)
    )
      return 'inferenceConfig.maxTokens must be an integer of at least 1.';
  }
  return null;
}

function checkTextBlocks(blocks: unknown, where: string): string | null {
  if (!Array.isArray(blocks) || blocks.length === 0) return `${where} must be a non-empty list.`;
  for (const [i, block] of (blocks as Record<string, unknown>[]).entries()) {
    const keys = Object.keys(block ?? {});
    if (keys.length !== 1 || keys[0] !== 'text') return `${where}.${i} must be a text block.`;
    if (typeof block.text !== 'string' || block.text.trim() === '') return `The text field in ${where}.${i} is blank.`;
  }
  return null;
}

/**
 * The bodies of Titan Text Embeddings v2 (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html)
 * and Cohere Embed v3 (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html).
 */
function checkInvoke(modelId: string, body: Record<string, unknown>, headers: Headers): string | null {
  if (!headers.get('content-type')?.startsWith('application/json')) return 'The content type must be application/json.';
  if (modelId === TITAN_V2) {
    const extra = Object.keys(body).filter(
      (k) => !['inputText', 'dimensions', 'normalize', 'embeddingTypes'].includes(k),
    );
    if (extra.length > 0) return `Unknown fields: ${extra.join(', ')}.`;
    if (typeof body.inputText !== 'string' || body.inputText.length === 0)
      return 'inputText must be a non-empty string.';
    if (body.dimensions !== undefined && ![256, 512, 1024].includes(body.dimensions as number))
      return 'dimensions must be 256, 512 or 1024.';
    if (body.normalize !== undefined && typeof body.normalize !== 'boolean') return 'normalize must be a boolean.';
    return null;
  }
  if (COHERE.has(modelId)) {
    const extra = Object.keys(body).filter(
      (k) => !['texts', 'input_type', 'truncate', 'embedding_types', 'images'].includes(k),
    );
    if (extra.length > 0) return `Unknown fields: ${extra.join(', ')}.`;
    const texts = body.texts;
    if (!Array.isArray(texts) || texts.length === 0 || texts.length > 96) return 'texts must hold 1 to 96 strings.';
    if (!texts.every((t) => typeof t === 'string' && t.length > 0)) return 'texts must be non-empty strings.';
    if (!['search_document', 'search_query', 'classification', 'clustering'].includes(body.input_type as string))
      return 'input_type must be search_document, search_query, classification or clustering.';
    if (body.truncate !== undefined && !['NONE', 'START', 'END'].includes(body.truncate as string))
      return 'truncate must be NONE, START or END.';
    const types = body.embedding_types;
    if (
      types !== undefined &&
      (!Array.isArray(types) || !types.every((t) => ['float', 'int8', 'uint8', 'binary', 'ubinary'].includes(t)))
    )
      return 'embedding_types holds an unknown type.';
    return null;
  }
  return `The stand-in does not know model ${modelId}.`;
}
