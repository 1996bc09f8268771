import OpenAI from 'openai';
import { type EmbeddingClient, unitLength } from './embedding-client.ts';
import { providerError } from './openai-errors.ts';

export interface OpenAiEmbeddingOptions {
  apiKey?: string;
  baseURL?: string;
  model: string;
  timeoutMs: number;
  /** Inputs per request; providers cap it (OpenAI at 2048, Ollama lower in practice). @default 128 */
  batchSize?: number;
}

/** Any OpenAI-compatible `/v1/embeddings` endpoint: OpenAI, Ollama, vLLM, llama.cpp, TEI. */
export class OpenAiEmbeddingClient implements EmbeddingClient {
  readonly model: string;
  private readonly client: OpenAI;
  private readonly batchSize: number;
  private knownDimensions: number | null = null;

  constructor(options: OpenAiEmbeddingOptions) {
    this.model = options.model;
    this.batchSize = options.batchSize ?? 128;
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
      try {
        const res = await this.client.embeddings.create(
          { model: this.model, input: batch, encoding_format: 'float' },
          { signal },
        );
        const ordered = [...res.data].sort((a, b) => a.index - b.index);
        for (const item of ordered) out.push(unitLength(Float32Array.from(item.embedding)));
      } catch (error) {
        throw providerError('embeddings', error);
      }
    }
    if (out[0]) this.knownDimensions = out[0].length;
    return out;
  }
}
