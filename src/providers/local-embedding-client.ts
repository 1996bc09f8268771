import { stems } from '../search/text.ts';
import type { EmbeddingClient } from './embedding-client.ts';

/**
 * The offline embedder: feature hashing of analysed terms (src/search/text.ts, in the language
 * detected for each text, like the keyword index's) and term pairs into a fixed-size vector
 * (Weinberger et al., 2009), weighted by 1 + log(tf) and scaled to unit length. It needs no model
 * file and no network, and is deterministic across machines. It captures shared vocabulary, not
 * meaning: "car" and "automobile" are unrelated to it. Hybrid retrieval pairs it with BM25; for
 * semantic search, point EMBEDDINGS_BASE_URL at a real embedding model.
 */
export class LocalEmbeddingClient implements EmbeddingClient {
  readonly model: string;

  constructor(private readonly dims = 512) {
    this.model = `ragchat-hashing-v1-${dims}`;
  }

  async dimensions(): Promise<number> {
    return this.dims;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((t) => this.embedOne(t));
  }

  private embedOne(text: string): Float32Array {
    const terms = stems(text);
    const counts = new Map<string, number>();
    const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
    for (let i = 0; i < terms.length; i++) {
      add(terms[i] as string, 1);
      if (i + 1 < terms.length) add(`${terms[i]} ${terms[i + 1]}`, 0.5);
    }
    const vector = new Float32Array(this.dims);
    for (const [feature, tf] of counts) {
      const h = Bun.hash.murmur32v3(feature);
      // A second hash bit picks the sign, so collisions cancel out on average instead of adding up.
      const sign = (h >>> 31) & 1 ? -1 : 1;
      vector[h % this.dims] = (vector[h % this.dims] as number) + sign * (1 + Math.log(tf));
    }
    let norm = 0;
    for (const x of vector) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
    return vector;
  }
}
