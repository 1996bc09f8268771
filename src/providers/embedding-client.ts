/** Turns text into vectors. Every backend runs `test/contracts/embedding-client.contract.ts`. */
export interface EmbeddingClient {
  /** Recorded in the index; a different model means the index must be rebuilt. */
  readonly model: string;
  /** The vector length; remote backends learn it from their first answer. */
  dimensions(signal?: AbortSignal): Promise<number>;
  /** One vector per text, in order, each of unit length. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
