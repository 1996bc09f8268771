import { join } from 'node:path';
import type { Retriever } from './retriever.ts';

/**
 * Retrieval evaluation on a BEIR-layout dataset: `corpus.jsonl` ({_id, title, text}),
 * `queries.jsonl` ({_id, text}) and `qrels/test.tsv` (query-id, corpus-id, score). Metrics follow
 * trec_eval as BEIR uses it: nDCG@10 with linear gains, recall@k, MRR@10.
 */
export interface BeirDataset {
  corpus: { id: string; title: string; text: string }[];
  queries: Map<string, string>;
  /** query id → (corpus id → relevance) */
  qrels: Map<string, Map<string, number>>;
}

export interface EvalResult {
  ndcg_at_10: number;
  recall_at_10: number;
  recall_at_100: number;
  mrr_at_10: number;
  queries: number;
  latency_ms_p50: number;
  latency_ms_p95: number;
}

export async function readBeir(dir: string, split = 'test'): Promise<BeirDataset> {
  const lines = async (file: string) =>
    (await Bun.file(join(dir, file)).text()).split('\n').filter((l) => l.trim() !== '');
  const corpus = (await lines('corpus.jsonl')).map((l) => {
    const d = JSON.parse(l) as { _id: string; title?: string; text?: string };
    return { id: String(d._id), title: d.title ?? '', text: d.text ?? '' };
  });
  const queries = new Map(
    (await lines('queries.jsonl')).map((l) => {
      const q = JSON.parse(l) as { _id: string; text: string };
      return [String(q._id), q.text] as const;
    }),
  );
  const qrels = new Map<string, Map<string, number>>();
  for (const row of await lines(join('qrels', `${split}.tsv`))) {
    const [qid, did, score] = row.split('\t').map((x) => x.trim());
    if (!qid || !did || qid === 'query-id') continue;
    const rel = Number(score);
    if (!Number.isFinite(rel)) continue;
    if (!qrels.has(qid)) qrels.set(qid, new Map());
    (qrels.get(qid) as Map<string, number>).set(did, rel);
  }
  return { corpus, queries, qrels };
}

export function ndcgAt(ranked: string[], relevant: Map<string, number>, k: number): number {
  let dcg = 0;
  ranked.slice(0, k).forEach((id, i) => {
    dcg += (relevant.get(id) ?? 0) / Math.log2(i + 2);
  });
  const ideal = [...relevant.values()]
    .filter((r) => r > 0)
    .sort((a, b) => b - a)
    .slice(0, k);
  const idcg = ideal.reduce((sum, r, i) => sum + r / Math.log2(i + 2), 0);
  return idcg > 0 ? dcg / idcg : 0;
}

export function recallAt(ranked: string[], relevant: Map<string, number>, k: number): number {
  const wanted = [...relevant].filter(([, r]) => r > 0).map(([id]) => id);
  if (wanted.length === 0) return 0;
  const top = new Set(ranked.slice(0, k));
  return wanted.filter((id) => top.has(id)).length / wanted.length;
}

export function mrrAt(ranked: string[], relevant: Map<string, number>, k: number): number {
  const i = ranked.slice(0, k).findIndex((id) => (relevant.get(id) ?? 0) > 0);
  return i < 0 ? 0 : 1 / (i + 1);
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * Runs every judged query through the retriever and scores the ranking of corpus ids.
 * `corpusIdOf` maps a retrieved chunk's document id back to the dataset's id; a document's rank is
 * that of its best chunk.
 */
export async function evaluate(
  dataset: BeirDataset,
  retriever: Retriever,
  corpusIdOf: (documentId: string) => string | undefined,
  options: { depth?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<EvalResult> {
  const depth = options.depth ?? 100;
  const judged = [...dataset.qrels.keys()].filter((q) => dataset.queries.has(q));
  const sums = { ndcg: 0, r10: 0, r100: 0, mrr: 0 };
  const latencies: number[] = [];
  for (const [i, qid] of judged.entries()) {
    const started = performance.now();
    const chunks = await retriever.retrieve(dataset.queries.get(qid) as string, depth);
    latencies.push(performance.now() - started);
    const ranked: string[] = [];
    for (const c of chunks) {
      const id = corpusIdOf(c.documentId);
      if (id !== undefined && !ranked.includes(id)) ranked.push(id);
    }
    const relevant = dataset.qrels.get(qid) as Map<string, number>;
    sums.ndcg += ndcgAt(ranked, relevant, 10);
    sums.r10 += recallAt(ranked, relevant, 10);
    sums.r100 += recallAt(ranked, relevant, 100);
    sums.mrr += mrrAt(ranked, relevant, 10);
    options.onProgress?.(i + 1, judged.length);
  }
  const n = Math.max(1, judged.length);
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return {
    ndcg_at_10: round(sums.ndcg / n),
    recall_at_10: round(sums.r10 / n),
    recall_at_100: round(sums.r100 / n),
    mrr_at_10: round(sums.mrr / n),
    queries: judged.length,
    latency_ms_p50: round(percentile(latencies, 50)),
    latency_ms_p95: round(percentile(latencies, 95)),
  };
}
