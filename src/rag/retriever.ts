import { formatBudget, withinBudget } from '../deadlines.ts';
import type { ScoredChunk } from '../domain.ts';
import { unavailable } from '../errors.ts';
import type { AnswerTimings } from '../observability/answer-timings.ts';
import { Telemetry } from '../observability/telemetry.ts';
import type { EmbeddingClient } from '../providers/embedding-client.ts';
import { NoopReranker } from '../providers/noop-reranker.ts';
import type { Reranker } from '../providers/reranker.ts';
import type { VectorStore } from '../stores/vector-store.ts';

/** How long each phase of retrieval may take; see README, "Time budgets". */
export interface RetrievalBudgets {
  /** Embedding the question, the embedder's retries included. @default 10000 */
  embeddingMs: number;
  /** The store's search and the reranker together, their retries included. @default 10000 */
  searchMs: number;
}

/** An embedder that answered with no vector: nothing can be searched. */
const NO_VECTOR = new Error('no vector');

const DEFAULT_BUDGETS: RetrievalBudgets = { embeddingMs: 10_000, searchMs: 10_000 };

/**
 * Embeds a question, runs the store's hybrid search, then the reranker, each phase within its
 * budget. The chat and the eval harness share it.
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
    private readonly budgets: RetrievalBudgets = DEFAULT_BUDGETS,
  ) {}

  /**
   * `collections`: only chunks of these (absent: all); the store applies it inside its queries.
   * `timings`, when given, gets the end of the embedding and of the search (reranking included).
   * Long because the phases share one span and one search budget: the embedding, the search and
   * the reranking each run within what the earlier ones left of it, which reads best in order.
   */
  async retrieve(
    question: string,
    topK: number,
    signal?: AbortSignal,
    collections?: readonly string[],
    timings?: AnswerTimings,
  ): Promise<ScoredChunk[]> {
    if (collections?.length === 0) return [];
    const { telemetry, storeBackend } = this.observed;
    const started = performance.now();
    return telemetry.span('rag.retrieve', { 'ragchat.top_k': topK }, async () => {
      const { embeddingMs, searchMs } = this.budgets;
      let vectorAt = 0;
      const embedding = withinBudget(
        embeddingMs,
        signal,
        () =>
          unavailable(
            'embeddings',
            `The embedding service did not answer within ${formatBudget(embeddingMs)}.`,
            undefined,
            'timeout',
          ),
        (bounded) => this.embedder.embed([question], bounded),
      ).then(([vector]) => {
        timings?.mark('embed');
        vectorAt = performance.now();
        if (!vector) throw NO_VECTOR;
        return vector;
      });
      // One budget for the search and the reranking after it, counted from the moment the vector
      // is there; the sentence names the one that hung.
      const searchExpired = (backend: 'vector-store' | 'reranker') => () =>
        unavailable(
          backend,
          `The search did not finish within ${formatBudget(searchMs)}: the ${backend === 'reranker' ? 'reranker' : 'vector store'} did not answer.`,
          undefined,
          'timeout',
        );
      // The search starts now, with the vector still on its way: the store ranks keywords while
      // the embedding service answers (see ChunkQuery.vector).
      const searching = withinBudget(
        searchMs,
        signal,
        searchExpired('vector-store'),
        (bounded) =>
          telemetry.span(
            'vector_store.search',
            { 'db.system': storeBackend, 'ragchat.candidates_asked': this.reranker.candidates(topK) },
            async (span) => {
              const found = await this.store.search(
                { vector: embedding, text: question, topK: this.reranker.candidates(topK), collections },
                bounded,
              );
              span.setAttribute('ragchat.candidates', found.length);
              return found;
            },
          ),
        embedding,
      );
      // Whichever fails first is the news: the embedding is awaited first, and a search that fails
      // because the embedding did must not be an unhandled rejection.
      searching.catch(() => {});
      try {
        await embedding;
      } catch (error) {
        if (error === NO_VECTOR) return [];
        throw error;
      }
      const candidates = await searching;
      const searchStarted = vectorAt;
      const searchMsLeft = Math.max(1, searchMs - (performance.now() - searchStarted));
      telemetry.metrics.searchDuration.observe({ backend: storeBackend }, (performance.now() - searchStarted) / 1000);
      const ranked = await withinBudget(searchMsLeft, signal, searchExpired('reranker'), (bounded) =>
        this.reranker.rerank(question, candidates, topK, bounded),
      );
      telemetry.metrics.retrievalDuration.observe((performance.now() - started) / 1000);
      timings?.mark('search');
      return ranked;
    });
  }
}
