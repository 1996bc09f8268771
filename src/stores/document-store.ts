/**
 * Where the original files live: the local disk on a laptop, an S3 bucket in production.
 * Keys are relative, slash-separated paths; a backend refuses any key that would escape its root.
 */
export interface DocumentStore {
  put(key: string, bytes: Uint8Array, contentType?: string): Promise<void>;
  /** null when there is no such document. */
  get(key: string): Promise<Uint8Array | null>;
  list(prefix?: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** Resolves when the store is reachable (for /readyz). */
  ping(): Promise<void>;
}
