import type { ScoredChunk } from '../domain.ts';
import { AppError, isAbortError } from '../errors.ts';
import type { EmbeddingClient } from '../providers/embedding-client.ts';
import type { LlmClient, LlmRequest } from '../providers/llm-client.ts';
import type { Reranker } from '../providers/reranker.ts';
import { failSpan, type Telemetry } from './telemetry.ts';

/**
 * Decorators that measure each model provider at its seam, whichever backend is configured: a
 * latency histogram, errors counted by kind, and a span per call. Wrapping the seam (rather than
 * each backend) keeps the backends free of telemetry and gives every backend the same series.
 * An abort (Stop, a closed conversation) is not a provider error.
 */
function countError(
  telemetry: Telemetry,
  kind: string,
  provider: string,
  error: unknown,
  signal: AbortSignal | undefined,
): void {
  // A phase that ran out of time aborts with its own error as the reason (withinBudget): that is
  // this provider's timeout, whatever the SDK threw on its way out.
  const expired = signal?.aborted && signal.reason instanceof AppError ? signal.reason : null;
  // Aborted by ragchat (Stop, a deleted conversation, shutdown): whatever was thrown on the way out.
  if (!expired && (signal?.aborted || isAbortError(error))) return;
  const failure = expired ?? error;
  const reason = failure instanceof AppError ? (failure.reason ?? 'unexpected') : 'unexpected';
  telemetry.metrics.providerErrors.inc({ kind, provider, reason });
}

const seconds = (since: number) => (performance.now() - since) / 1000;

export class InstrumentedLlmClient implements LlmClient {
  constructor(
    private readonly inner: LlmClient,
    private readonly telemetry: Telemetry,
    /** The backend's name for labels: `openai`, `bedrock`, `offline`. */
    private readonly provider: string,
  ) {}

  get model(): string {
    return this.inner.model;
  }

  get offline(): boolean {
    return this.inner.offline;
  }

  async *stream(request: LlmRequest, signal: AbortSignal): AsyncIterable<string> {
    const { metrics, tracer, tracing } = this.telemetry;
    const started = performance.now();
    // A span is started by hand (not startActiveSpan): a generator cannot hold a context open
    // across its yields, and nothing below the provider call needs to be its child.
    const span = tracing
      ? tracer.startSpan('llm.stream', {
          attributes: {
            'gen_ai.system': this.provider,
            'gen_ai.request.model': this.inner.model,
            'gen_ai.request.max_tokens': request.maxTokens,
            'ragchat.passages': request.passages.length,
          },
        })
      : null;
    let fragments = 0;
    try {
      for await (const text of this.inner.stream(request, signal)) {
        if (fragments++ === 0) {
          metrics.providerFirstToken.observe({ provider: this.provider }, seconds(started));
          span?.addEvent('first_token');
        }
        yield text;
      }
    } catch (error) {
      countError(this.telemetry, 'llm', this.provider, error, signal);
      if (span && !signal.aborted && !isAbortError(error)) failSpan(span, error);
      throw error;
    } finally {
      metrics.providerDuration.observe({ kind: 'llm', provider: this.provider }, seconds(started));
      span?.setAttribute('ragchat.fragments', fragments);
      if (signal.aborted) span?.setAttribute('ragchat.aborted', true);
      span?.end();
    }
  }

  ping(signal?: AbortSignal): Promise<void> {
    return this.inner.ping(signal);
  }
}

export class InstrumentedEmbeddingClient implements EmbeddingClient {
  constructor(
    private readonly inner: EmbeddingClient,
    private readonly telemetry: Telemetry,
    private readonly provider: string,
  ) {}

  get model(): string {
    return this.inner.model;
  }

  dimensions(signal?: AbortSignal): Promise<number> {
    return this.inner.dimensions(signal);
  }

  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const started = performance.now();
    const attributes = {
      'ragchat.embeddings.provider': this.provider,
      'ragchat.embeddings.model': this.inner.model,
      'ragchat.texts': texts.length,
    };
    return this.telemetry.span('embeddings.embed', attributes, async () => {
      try {
        return await this.inner.embed(texts, signal);
      } catch (error) {
        countError(this.telemetry, 'embeddings', this.provider, error, signal);
        throw error;
      } finally {
        this.telemetry.metrics.providerDuration.observe(
          { kind: 'embeddings', provider: this.provider },
          seconds(started),
        );
      }
    });
  }
}

export class InstrumentedReranker implements Reranker {
  constructor(
    private readonly inner: Reranker,
    private readonly telemetry: Telemetry,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  candidates(topK: number): number {
    return this.inner.candidates(topK);
  }

  rerank(question: string, chunks: ScoredChunk[], topK: number, signal?: AbortSignal): Promise<ScoredChunk[]> {
    const started = performance.now();
    const attributes = {
      'ragchat.reranker': this.inner.name,
      'ragchat.candidates': chunks.length,
      'ragchat.top_k': topK,
    };
    return this.telemetry.span('reranker.rerank', attributes, async () => {
      try {
        return await this.inner.rerank(question, chunks, topK, signal);
      } catch (error) {
        countError(this.telemetry, 'reranker', this.inner.name, error, signal);
        throw error;
      } finally {
        this.telemetry.metrics.providerDuration.observe(
          { kind: 'reranker', provider: this.inner.name },
          seconds(started),
        );
      }
    });
  }
}
