import type { ScoredChunk } from '../domain.ts';
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
  ) {}

  /** `collections`: only chunks of these (absent: all); the store applies it inside its queries. */
  async retrieve(
    question: string,
    topK: number,
    signal?: AbortSignal,
    collections?: readonly string[],
  ): Promise<ScoredChunk[]> {
    if (collections?.length === 0) return [];
    const [vector] = await this.embedder.embed([question], signal);
    if (!vector) return [];
    const candidates = await this.store.search(
      { vector, text: question, topK: this.reranker.candidates(topK), collections },
      signal,
    );
    return this.reranker.rerank(question, candidates, topK, signal);
  }
}
