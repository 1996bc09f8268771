import type { ScoredChunk } from '../domain.ts';
import { failureReason, unavailable } from '../errors.ts';
import type { Reranker } from './reranker.ts';

export interface HttpRerankerOptions {
  /** e.g. `http://localhost:8080` for Hugging Face TEI, `https://api.jina.ai/v1`, `https://api.cohere.com/v2`. */
  baseURL: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
}

/**
 * A cross-encoder behind the `/rerank` API that TEI, Jina, Cohere, vLLM and Infinity share:
 * `POST {base}/rerank {model, query, documents, top_n}` → `{results: [{index, relevance_score}]}`.
 * Scores are squashed to 0..1 so they read like the fused scores.
 */
export class HttpReranker implements Reranker {
  readonly name: string;

  constructor(private readonly options: HttpRerankerOptions) {
    this.name = options.model;
  }

  candidates(topK: number): number {
    return Math.min(100, topK * 4);
  }

  async rerank(question: string, chunks: ScoredChunk[], topK: number, signal?: AbortSignal): Promise<ScoredChunk[]> {
    if (chunks.length === 0) return [];
    let response: Response;
    try {
      response = await fetch(`${this.options.baseURL.replace(/\/$/, '')}/rerank`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
        },
        body: JSON.stringify({
          model: this.options.model,
          query: question,
          documents: chunks.map((c) => [c.title, c.location, c.text].filter(Boolean).join('\n')),
          top_n: topK,
        }),
        signal: signal
          ? AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs)])
          : AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw unavailable('reranker', 'The reranker could not be reached.', error, 'unreachable');
    }
    if (!response.ok)
      throw unavailable(
        'reranker',
        `The reranker answered HTTP ${response.status}.`,
        undefined,
        failureReason(response.status),
      );
    const body = (await response.json()) as { results?: { index: number; relevance_score?: number; score?: number }[] };
    const results = body.results ?? [];
    return results
      .filter((r) => chunks[r.index] !== undefined)
      .sort((a, b) => (b.relevance_score ?? b.score ?? 0) - (a.relevance_score ?? a.score ?? 0))
      .slice(0, topK)
      .map((r) => ({
        ...(chunks[r.index] as ScoredChunk),
        score: 1 / (1 + Math.exp(-(r.relevance_score ?? r.score ?? 0))),
      }));
  }
}
