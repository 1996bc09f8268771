import type { EmbeddedChunk, ScoredChunk } from '../domain.ts';

/** What an index was built with; vectors from another embedder are meaningless to it. */
export interface EmbedderIdentity {
  model: string;
  dimensions: number;
}

export interface ChunkQuery {
  /**
   * The question's embedding, or the promise of it while the embedding service is still answering:
   * a store that can rank keywords without it does that meanwhile (the embedded one), the others
   * await it first. A rejected promise fails the search with its reason.
   */
  vector: Float32Array | Promise<Float32Array>;
  /** The question as text, for the keyword side of hybrid retrieval. */
  text: string;
  topK: number;
  /**
   * Only chunks of these collections may be returned; absent means every collection (admins, the
   * local user, the eval harness) and an empty list means none. Backends apply it inside the
   * dense and keyword queries themselves, never to their results: a passage from a collection the
   * asker may not read must not even take a candidate slot.
   */
  collections?: readonly string[];
}

/**
 * Chunks with their vectors and a keyword index. `search` is hybrid: each backend fuses dense and
 * keyword results where its data lives (in SQLite here, inside Qdrant later), so no backend needs
 * a second in-process index.
 */
export interface VectorStore {
  /**
   * Prepares the index for this embedder. Refuses (throws `AppError` `index_mismatch`) when the
   * index was built by a different model or dimension, naming both and the re-index command.
   */
  open(embedder: EmbedderIdentity, signal?: AbortSignal): Promise<void>;
  upsert(chunks: EmbeddedChunk[], signal?: AbortSignal): Promise<void>;
  /**
   * Removes a document's chunks (vectors and keyword entries) from chunk index `fromIndex` on;
   * 0 removes the whole document, n trims what a longer earlier version left beyond chunk n.
   */
  deleteDocument(documentId: string, fromIndex?: number, signal?: AbortSignal): Promise<void>;
  search(query: ChunkQuery, signal?: AbortSignal): Promise<ScoredChunk[]>;
  count(signal?: AbortSignal): Promise<number>;
  /** Chunks per document id, over the whole index (for `ingest --check`). */
  documentIds(signal?: AbortSignal): Promise<Map<string, number>>;
  /**
   * Keyword entries that belong to no chunk (a store that keeps keywords apart from vectors can
   * leave them behind); with `remove`, deletes them. Returns how many there were.
   */
  danglingKeywordEntries(remove: boolean, signal?: AbortSignal): Promise<number>;
  /** Drops every chunk and the recorded embedder, for `ingest --reindex`. */
  reset(signal?: AbortSignal): Promise<void>;
  ping(signal?: AbortSignal): Promise<void>;
}

export function indexMismatchMessage(stored: EmbedderIdentity, configured: EmbedderIdentity): string {
  return (
    `The search index was built with embedding model "${stored.model}" (${stored.dimensions} dimensions), ` +
    `but the configured embedder is "${configured.model}" (${configured.dimensions} dimensions). ` +
    'Re-index with `bun run ingest --reindex <folders>` (or `npm run ingest -- --reindex <folders>`), ' +
    'or set the embedding settings back.'
  );
}
