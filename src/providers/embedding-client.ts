/** Turns text into vectors. Every backend runs `test/contracts/embedding-client.contract.ts`. */
export interface EmbeddingClient {
  /** Recorded in the index; a different model means the index must be rebuilt. */
  readonly model: string;
  /** The vector length; remote backends learn it from their first answer. */
  dimensions(signal?: AbortSignal): Promise<number>;
  /** One vector per text, in order, each of unit length. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}

/** `v` scaled to length 1 (the seam's promise), for backends whose provider does not normalise. */
export function unitLength(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return norm > 0 ? v.map((x) => x / norm) : v;
}
