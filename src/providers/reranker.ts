import type { ScoredChunk } from '../domain.ts';

/**
 * Reorders retrieved chunks by their relevance to the question, after the fused search. The
 * default keeps the search's order; a cross-encoder behind a provider can do better.
 */
export interface Reranker {
  readonly name: string;
  /** How many candidates to fetch for `topK` results (a reranker wants more to choose from). */
  candidates(topK: number): number;
  rerank(question: string, chunks: ScoredChunk[], topK: number, signal?: AbortSignal): Promise<ScoredChunk[]>;
}
