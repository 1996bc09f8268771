import type { LanguageCode } from './language.ts';
import { queryTerms, stems } from './text.ts';

/**
 * Sparse keyword vectors for stores that index them (Qdrant). Each stem hashes to a 32-bit index;
 * a document's values are BM25's saturated term frequency, tf·(k1+1) / (tf + k1·(1 − b + b·len/avgLen)),
 * and the store multiplies in IDF at query time (Qdrant's `modifier: idf`), which together give
 * BM25 scoring without an in-process index. A query's values are 1 per distinct stem; its terms are
 * the same as the SQLite keyword index's (queryTerms), so both backends rank alike.
 */
export interface SparseVector {
  indices: number[];
  values: number[];
}

const K1 = 1.2;
const B = 0.75;
// Typical stems per chunk at the default chunk size; BM25 is not sensitive to its exact value.
const AVERAGE_LENGTH = 120;

const indexOf = (stem: string) => Bun.hash.murmur32v3(stem) >>> 0;

/** `language` is the chunk's (detected when not given), as for the SQLite keyword index. */
export function documentSparseVector(text: string, language?: LanguageCode): SparseVector {
  const terms = stems(text, language, true);
  const counts = new Map<number, number>();
  for (const t of terms) {
    const i = indexOf(t);
    counts.set(i, (counts.get(i) ?? 0) + 1);
  }
  const norm = K1 * (1 - B + (B * terms.length) / AVERAGE_LENGTH);
  const entries = [...counts.entries()].sort((a, b) => a[0] - b[0]);
  return { indices: entries.map(([i]) => i), values: entries.map(([, tf]) => (tf * (K1 + 1)) / (tf + norm)) };
}

export function querySparseVector(text: string): SparseVector {
  const indices = [...new Set(queryTerms(text).map(indexOf))].sort((a, b) => a - b);
  return { indices, values: indices.map(() => 1) };
}
