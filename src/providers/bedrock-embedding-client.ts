import { type BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { formatBudget, untilAborted } from '../deadlines.ts';
import { unavailable } from '../errors.ts';
import { unitLength } from '../search/unit-length.ts';
import { type BedrockConnection, newBedrockClient, resolveCredentials } from './bedrock-client.ts';
import { BEDROCK_EMBEDDING_MODELS, type BedrockEmbeddingModel } from './bedrock-embedding-models.ts';
import { bedrockError } from './bedrock-errors.ts';
import type { EmbeddingClient } from './embedding-client.ts';

/** Cohere Embed v3 takes at most 96 texts per request (Bedrock's model parameters page). */
const COHERE_MAX_TEXTS = 96;

export interface BedrockEmbeddingOptions extends BedrockConnection {
  model: BedrockEmbeddingModel;
  /** Titan v2: 256, 512 or 1024; Cohere v3: 1024. @default 1024 */
  dimensions?: number;
  /** Per request, retries included. */
  timeoutMs: number;
  /** Requests in flight at once for one `embed` call (Titan takes one text per request). @default 4 */
  concurrency?: number;
}

/**
 * Embeddings through Bedrock's InvokeModel: Titan Text Embeddings v2
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html) and
 * Cohere Embed v3 (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html).
 * The SDK retries throttling and 5xx with backoff (standard mode, 3 attempts).
 */
export class BedrockEmbeddingClient implements EmbeddingClient {
  readonly model: string;
  private readonly client: BedrockRuntimeClient;
  private readonly family: 'titan' | 'cohere';
  private readonly size: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;

  constructor(options: BedrockEmbeddingOptions) {
    this.model = options.model;
    this.family = BEDROCK_EMBEDDING_MODELS[options.model].family;
    this.size = options.dimensions ?? 1024;
    this.timeoutMs = options.timeoutMs;
    this.concurrency = options.concurrency ?? 4;
    this.client = newBedrockClient(options, 3);
  }

  /** Known from the configuration (Titan is asked for it, Cohere v3 has one size): no request. */
  async dimensions(): Promise<number> {
    return this.size;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const requests =
      this.family === 'titan'
        ? texts.map((t) => [t])
        : Array.from({ length: Math.ceil(texts.length / COHERE_MAX_TEXTS) }, (_, i) =>
            texts.slice(i * COHERE_MAX_TEXTS, (i + 1) * COHERE_MAX_TEXTS),
          );
    const answers = await inParallel(requests, this.concurrency, (batch) => this.invoke(batch, signal));
    return answers.flat();
  }

  /** No free call proves the model works; credentials are what can be checked (see BedrockLlmClient.ping). */
  async ping(signal?: AbortSignal): Promise<void> {
    await resolveCredentials(this.client, 'embeddings', signal);
  }

  private async invoke(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const body =
      this.family === 'titan'
        ? { inputText: texts[0], dimensions: this.size, normalize: true }
        : {
            texts,
            // Cohere embeds queries and documents differently (`search_query` / `search_document`),
            // but the EmbeddingClient seam does not say which it is given: the retriever, ingestion,
            // the eval command and the bench all call the same `embed`. Documents are what is
            // stored, so they get their proper type; queries embedded as documents still match.
            input_type: 'search_document',
            truncate: 'END',
            embedding_types: ['float'],
          };
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
      const res = await untilAborted(
        this.client.send(
          new InvokeModelCommand({
            modelId: this.model,
            contentType: 'application/json',
            accept: 'application/json',
            body: new TextEncoder().encode(JSON.stringify(body)),
          }),
          { abortSignal: bounded },
        ),
        bounded,
      );
      const answer = JSON.parse(new TextDecoder().decode(res.body)) as {
        embedding?: number[];
        embeddings?: { float?: number[][] };
      };
      const vectors = this.family === 'titan' ? [answer.embedding] : (answer.embeddings?.float ?? []);
      if (vectors.length !== texts.length || vectors.some((v) => v?.length !== this.size)) {
        throw new Error(`Bedrock returned ${vectors.length} vectors of the wrong shape for ${texts.length} texts.`);
      }
      // Titan normalizes when asked; Cohere's floats are not unit length, and the stores assume it.
      return vectors.map((v) => unitLength(Float32Array.from(v as number[])));
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted)
        throw unavailable(
          'embeddings',
          `The embedding service (Amazon Bedrock) did not answer within ${formatBudget(this.timeoutMs)}.`,
          error,
          'timeout',
        );
      throw bedrockError('embeddings', error);
    }
  }
}

/** Runs `work` over `items`, at most `limit` at a time, keeping their order; the first failure wins. */
async function inParallel<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await work(items[i] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
