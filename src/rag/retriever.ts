import type { ScoredChunk } from '../domain.ts';
import { Telemetry } from '../observability/telemetry.ts';
import type { EmbeddingClient } from '../providers/embedding-client.ts';
import { NoopReranker } from '../providers/noop-reranker.ts';
import type { Reranker } from '../providers/reranker.ts';
import type { VectorStore } from '../stores/vector-store.ts';

/**
 * Embeds a question, runs the store's hybrid search, then the reranker. The chat and the eval
 * harness share it.
 */
export class Retriever {
  constructor(
    private readonly embedder: EmbeddingClient,
    private readonly store: VectorStore,
    private readonly reranker: Reranker = new NoopReranker(),
    /** Where retrieval and search latency are counted and traced; `storeBackend` labels them. */
    private readonly observed: { telemetry: Telemetry; storeBackend: string } = {
      telemetry: new Telemetry(),
      storeBackend: 'unknown',
    },
  ) {}

  /** `collections`: only chunks of these (absent: all); the store applies it inside its queries. */
  async retrieve(
    question: string,
    topK: number,
    signal?: AbortSignal,
    collections?: readonly string[],
  ): Promise<ScoredChunk[]> {
    if (collections?.length === 0) return [];
    const { telemetry, storeBackend } = this.observed;
    const started = performance.now();
    return telemetry.span('rag.retrieve', { 'ragchat.top_k': topK }, async () => {
      const [vector] = await this.embedder.embed([question], signal);
      if (!vector) return [];
      const searchStarted = performance.now();
      const candidates = await telemetry.span(
        'vector_store.search',
        { 'db.system': storeBackend, 'ragchat.candidates_asked': this.reranker.candidates(topK) },
        async (span) => {
          const found = await this.store.search(
            { vector, text: question, topK: this.reranker.candidates(topK), collections },
            signal,
          );
          span.setAttribute('ragchat.candidates', found.length);
          return found;
        },
      );
      telemetry.metrics.searchDuration.observe({ backend: storeBackend }, (performance.now() - searchStarted) / 1000);
      const ranked = await this.reranker.rerank(question, candidates, topK, signal);
      telemetry.metrics.retrievalDuration.observe((performance.now() - started) / 1000);
      return ranked;
    });
  }
}
