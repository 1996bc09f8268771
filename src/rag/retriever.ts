import type { ScoredChunk } from '../domain.ts';
import type { EmbeddingClient } from '../providers/embedding-client.ts';
import type { VectorStore } from '../stores/vector-store.ts';

/** Embeds a question and runs the store's hybrid search. The chat and the eval harness share it. */
export class Retriever {
  constructor(
    private readonly embedder: EmbeddingClient,
    private readonly store: VectorStore,
  ) {}

  async retrieve(question: string, topK: number, signal?: AbortSignal): Promise<ScoredChunk[]> {
    const [vector] = await this.embedder.embed([question], signal);
    if (!vector) return [];
    return this.store.search({ vector, text: question, topK }, signal);
  }
}
