/**
 * Reciprocal rank fusion (Cormack et al., 2009): score(d) = Σ weight / (k + rank). It needs no score
 * calibration between BM25 and cosine, which is why hybrid search engines (Qdrant included) use it.
 * Scores are scaled so that a result ranked first by every list scores 1.
 */
export interface RankedList {
  ids: readonly string[];
  weight?: number;
}

export const RRF_K = 60;

export function reciprocalRankFusion(lists: readonly RankedList[], k = RRF_K): { id: string; score: number }[] {
  const scores = new Map<string, number>();
  let best = 0;
  for (const list of lists) {
    const weight = list.weight ?? 1;
    best += weight / (k + 1);
    list.ids.forEach((id, rank) => {
      scores.set(id, (scores.get(id) ?? 0) + weight / (k + rank + 1));
    });
  }
  return [...scores.entries()]
    .map(([id, score]) => ({ id, score: best > 0 ? score / best : 0 }))
    .sort((a, b) => b.score - a.score);
}
