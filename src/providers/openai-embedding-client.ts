import OpenAI from 'openai';
import { formatBudget, untilAborted } from '../deadlines.ts';
import { unavailable } from '../errors.ts';
import { unitLength } from '../search/unit-length.ts';
import type { EmbeddingClient } from './embedding-client.ts';
import { providerError } from './openai-errors.ts';

export interface OpenAiEmbeddingOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
  /**
   * One request's budget, its retries included: attempts share it (the SDK's per-attempt timeout
   * is the same, and a signal ends the retries at the deadline). Questions are embedded under the
   * retriever's shorter budget, through the signal they pass.
   */
  timeoutMs: number;
  /** Inputs per request; providers cap it (OpenAI at 2048, Ollama lower in practice). @default 128 */
  batchSize?: number;
}

/** Any OpenAI-compatible `/v1/embeddings` endpoint: OpenAI, Ollama, vLLM, llama.cpp, TEI. */
export class OpenAiEmbeddingClient implements EmbeddingClient {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly batchSize: number;
  private readonly timeoutMs: number;
  private knownDimensions: number | null = null;

  constructor(options: OpenAiEmbeddingOptions) {
    this.model = options.model;
    this.batchSize = options.batchSize ?? 128;
    this.timeoutMs = options.timeoutMs;
    // Local servers ignore the key, but the client refuses to start without one.
    this.client = new OpenAI({
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseURL,
      timeout: options.timeoutMs,
      maxRetries: 2,
    });
  }

  async dimensions(signal?: AbortSignal): Promise<number> {
    if (this.knownDimensions === null) await this.embed(['dimension probe'], signal);
    return this.knownDimensions as number;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) {
      const batch = texts.slice(i, i + this.batchSize);
      const deadline = AbortSignal.timeout(this.timeoutMs);
      const bounded = signal ? AbortSignal.any([signal, deadline]) : deadline;
      try {
        const res = await untilAborted(
          this.client.embeddings.create(
            { model: this.model, input: batch, encoding_format: 'float' },
            { signal: bounded },
          ),
          bounded,
        );
        const ordered = [...res.data].sort((a, b) => a.index - b.index);
        for (const item of ordered) out.push(unitLength(Float32Array.from(item.embedding)));
      } catch (error) {
        if (deadline.aborted && !signal?.aborted)
          throw unavailable(
            'embeddings',
            `The embedding service did not answer within ${formatBudget(this.timeoutMs)}.`,
            error,
            'timeout',
          );
        throw providerError('embeddings', error);
      }
    }
    if (out[0]) this.knownDimensions = out[0].length;
    return out;
  }
}
