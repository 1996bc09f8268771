import type { ScoredChunk } from '../domain.ts';
import type { Reranker } from './reranker.ts';

/** The default: the fused search's order is the answer. */
export class NoopReranker implements Reranker {
  readonly name = 'none';

  candidates(topK: number): number {
    return topK;
  }

  async rerank(_question: string, chunks: ScoredChunk[], topK: number): Promise<ScoredChunk[]> {
    return chunks.slice(0, topK);
  }
}
