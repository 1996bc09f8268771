import { QdrantClient } from '@qdrant/js-client-rest';
import { DEFAULT_COLLECTION, type EmbeddedChunk, type ScoredChunk } from '../domain.ts';
import { AppError, unavailable } from '../errors.ts';
import { RRF_K } from '../search/fusion.ts';
import { detectLanguage } from '../search/language.ts';
import { documentSparseVector, querySparseVector } from '../search/sparse.ts';
import { type ChunkQuery, type EmbedderIdentity, indexMismatchMessage, type VectorStore } from './vector-store.ts';

export interface QdrantVectorStoreOptions {
  url: string;
  apiKey?: string;
  collection: string;
  /** Per request. */
  timeoutMs: number;
  /** Points per upsert request. @default 128 */
  batchSize?: number;
  /** Attempts for a request answered 429 or 5xx. @default 3 */
  attempts?: number;
  /** Weights of the keyword and dense rankings in Qdrant's RRF; 0 leaves that prefetch out. @default 1 */
  keywordWeight?: number;
  vectorWeight?: number;
}

interface ChunkPayload {
  document_id: string;
  source: string;
  title: string;
  location: string;
  chunk_index: number;
  text: string;
  content_hash: string;
  collection: string;
  /** Absent on points stored before languages were detected. */
  language?: string;
}

const DENSE = 'dense';
const PAYLOAD_INDEXES = [
  ['document_id', 'keyword'],
  ['source', 'keyword'],
  ['chunk_index', 'integer'],
  ['collection', 'keyword'],
] as const;
const KEYWORDS = 'keywords';

/** What Qdrant says of a collection (GET /collections/{name}). */
type CollectionInfo = Awaited<ReturnType<QdrantClient['getCollection']>>;

/**
 * Chunks as Qdrant points: a named dense vector (cosine) and a named sparse keyword vector with
 * the IDF modifier, so hybrid search (both prefetched, fused by RRF) runs inside Qdrant. Point ids
 * are the chunk ids, deterministic from document id and chunk index, so a re-ingest overwrites.
 * The embedding model and dimension are recorded in the collection's metadata.
 */
export class QdrantVectorStore implements VectorStore {
  private readonly client: QdrantClient;
  /**
   * For the requests a caller may cancel (searches). The client's own timeout is a fetch
   * middleware that replaces the request's signal with its timer's (api-client.js in
   * @qdrant/js-client-rest 1.18), so a signal passed by us would never reach fetch: this client
   * has no timer of its own, and each request carries the caller's signal and our timeout combined.
   */
  private readonly cancellable: QdrantClient;
  private readonly name: string;

  constructor(private readonly options: QdrantVectorStoreOptions) {
    this.name = options.collection;
    // checkCompatibility off: it calls GET / on every start, and our own checks say more.
    const settings = { url: options.url, apiKey: options.apiKey, checkCompatibility: false };
    this.client = new QdrantClient({ ...settings, timeout: options.timeoutMs });
    this.cancellable = new QdrantClient({ ...settings, timeout: Number.POSITIVE_INFINITY });
  }

  /** The request's signal: aborted by the caller, or when the store's timeout has passed. */
  private bounded(signal?: AbortSignal): AbortSignal {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    return signal ? AbortSignal.any([signal, timeout]) : timeout;
  }

  /**
   * One call with retries: 429 and 5xx are retried with exponential backoff (honouring a
   * Retry-After header), other errors are not. Failures become `unavailable:vector-store`.
   */
  private async call<T>(what: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const attempts = this.options.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        signal?.throwIfAborted();
        return await run();
      } catch (error) {
        const status = statusOf(error);
        const retryable = status === 429 || (status !== undefined && status >= 500);
        if (signal?.aborted) throw error;
        if (!retryable || attempt >= attempts) throw translate(error, what);
        // The longer of our backoff and the server's Retry-After. (The 1.19 client parses a 429's
        // Retry-After from its first character only, so "12" reads as 1; never wait less than that.)
        await Bun.sleep(Math.max(200 * 2 ** (attempt - 1), retryAfterMs(error) ?? 0));
      }
    }
  }

  /**
   * Creates the collection if needed and checks it: the dense vector's size, the recorded model and
   * the keyword vector's IDF modifier must match; missing payload indexes are (re)created, so a
   * start that died halfway through creation is finished by the next one. Two instances starting
   * at once may both try to create it: the loser's "already exists" counts as success.
   */
  async open(embedder: EmbedderIdentity, signal?: AbortSignal): Promise<void> {
    await this.createIfMissing(embedder, signal);
    const info = await this.call('read the collection', () => this.client.getCollection(this.name), signal);
    this.checkCollection(info, embedder);
    await this.completePayloadIndexes(info, signal);
  }

  /** The collection with its named dense and IDF sparse vectors and the model in its metadata. */
  private async createIfMissing(embedder: EmbedderIdentity, signal?: AbortSignal): Promise<void> {
    const { exists } = await this.call('check the collection', () => this.client.collectionExists(this.name), signal);
    if (exists) return;
    try {
      await this.call(
        'create the collection',
        () =>
          // Through the client's typed OpenAPI layer: the 1.18 client (the last for Node 20)
          // drops `metadata` from createCollection's arguments, though the server keeps it.
          this.client.api().createCollection({
            collection_name: this.name,
            vectors: { [DENSE]: { size: embedder.dimensions, distance: 'Cosine' } },
            sparse_vectors: { [KEYWORDS]: { modifier: 'idf' } },
            metadata: { embedding_model: embedder.model, embedding_dimensions: embedder.dimensions },
          }),
        signal,
      );
    } catch (error) {
      const said =
        String((error as Error).message) + JSON.stringify((error as { cause?: { data?: unknown } }).cause?.data ?? '');
      if (!/already exists/i.test(said)) throw error;
    }
  }

  /** Refuses, by name, a collection made for another embedder or without the IDF keyword vector. */
  private checkCollection(info: CollectionInfo, embedder: EmbedderIdentity): void {
    const params = info.config.params as {
      vectors?: Record<string, { size?: number }> | { size?: number };
      sparse_vectors?: Record<string, { modifier?: string | null }> | null;
    };
    const size =
      (params.vectors as Record<string, { size?: number }> | undefined)?.[DENSE]?.size ??
      (params.vectors as { size?: number } | undefined)?.size;
    const metadata = (info.config as { metadata?: Record<string, unknown> | null }).metadata ?? {};
    const stored = {
      model: String(metadata.embedding_model ?? 'unknown (not recorded)'),
      dimensions: Number(size ?? 0),
    };
    if (stored.model !== embedder.model || stored.dimensions !== embedder.dimensions) {
      throw new AppError('index_mismatch', indexMismatchMessage(stored, embedder), 500);
    }
    if (params.sparse_vectors?.[KEYWORDS]?.modifier !== 'idf') {
      throw new AppError(
        'index_mismatch',
        `The Qdrant collection "${this.name}" has no "${KEYWORDS}" sparse vector with the IDF modifier, which keyword search needs. ` +
          'Re-index with `bun run ingest --reindex <folders>` to recreate it.',
        500,
      );
    }
  }

  /** Creates the payload indexes that are missing (all of them, on a new collection). */
  private async completePayloadIndexes(info: CollectionInfo, signal?: AbortSignal): Promise<void> {
    const indexed = new Set(Object.keys((info as { payload_schema?: Record<string, unknown> }).payload_schema ?? {}));
    if (!indexed.has('collection')) {
      // Points written before collections existed belong to the default one. Done before the
      // index is created, so a start that dies midway repeats it; setting it twice is harmless.
      await this.call(
        'assign chunks to the default collection',
        () =>
          this.client.setPayload(this.name, {
            payload: { collection: DEFAULT_COLLECTION },
            filter: { must: [{ is_empty: { key: 'collection' } }] },
            wait: true,
          }),
        signal,
      );
    }
    for (const [field, schema] of PAYLOAD_INDEXES) {
      if (indexed.has(field)) continue;
      await this.call(
        'index the payload',
        () => this.client.createPayloadIndex(this.name, { field_name: field, field_schema: schema, wait: true }),
        signal,
      );
    }
  }

  async upsert(chunks: EmbeddedChunk[], signal?: AbortSignal): Promise<void> {
    const batch = this.options.batchSize ?? 128;
    for (let i = 0; i < chunks.length; i += batch) {
      const points = chunks.slice(i, i + batch).map((c) => {
        const language = c.language ?? detectLanguage(c.text);
        return {
          id: c.id,
          vector: {
            [DENSE]: Array.from(c.vector),
            [KEYWORDS]: documentSparseVector([c.title, c.location, c.text].join('\n'), language),
          },
          payload: {
            document_id: c.documentId,
            source: c.source,
            title: c.title,
            location: c.location,
            chunk_index: c.index,
            text: c.text,
            content_hash: c.contentHash,
            collection: c.collection,
            language,
          } satisfies ChunkPayload,
        };
      });
      await this.call('store the chunks', () => this.client.upsert(this.name, { wait: true, points }), signal);
    }
  }

  async deleteDocument(documentId: string, fromIndex = 0, signal?: AbortSignal): Promise<void> {
    const must: Record<string, unknown>[] = [{ key: 'document_id', match: { value: documentId } }];
    if (fromIndex > 0) must.push({ key: 'chunk_index', range: { gte: fromIndex } });
    await this.call(
      'delete the document',
      () => this.client.delete(this.name, { wait: true, filter: { must: must as never } }),
      signal,
    );
  }

  /**
   * Hybrid search in one Query API request: both sides prefetched under the access filter, fused
   * by RRF inside Qdrant. A little over a screen, for the request and the mapping of its points
   * back to chunks, each of which reads as one block.
   */
  async search(query: ChunkQuery, signal?: AbortSignal): Promise<ScoredChunk[]> {
    const candidates = Math.max(query.topK * 4, 50);
    const keywords = querySparseVector(query.text);
    const vectorWeight = this.options.vectorWeight ?? 1;
    const keywordWeight = this.options.keywordWeight ?? 1;
    if (query.collections?.length === 0) return [];
    // The access filter goes into each prefetch, so neither the dense nor the keyword candidates
    // can include a chunk the asker may not read, and into the query itself for good measure.
    const filter = query.collections
      ? { must: [{ key: 'collection', match: { any: [...query.collections] } }] }
      : undefined;
    const prefetch: { query: number[]; using: string; limit: number; filter?: typeof filter }[] = [];
    const weights: number[] = [];
    if (vectorWeight > 0) {
      // One request carries both sides, so the vector is awaited before anything is sent.
      prefetch.push({ query: Array.from(await query.vector), using: DENSE, limit: candidates, filter });
      weights.push(vectorWeight);
    }
    if (keywordWeight > 0 && keywords.indices.length > 0) {
      prefetch.push({ query: keywords as never, using: KEYWORDS, limit: candidates, filter });
      weights.push(keywordWeight);
    }
    if (prefetch.length === 0) return [];
    const result = await this.call(
      'search',
      async () => {
        const response = await this.cancellable.api().queryPoints(
          {
            collection_name: this.name,
            prefetch,
            // Qdrant scores a zero-based position as 1 / (k + position); ragchat's embedded store as
            // 1 / (RRF_K + position + 1). k = RRF_K + 1 makes the two rankings identical.
            query: { rrf: { k: RRF_K + 1, weights } },
            filter,
            limit: query.topK,
            with_payload: true,
          },
          { signal: this.bounded(signal) },
        );
        if (!response.data.result) throw new Error('Qdrant answered a query without a result');
        return response.data.result;
      },
      signal,
    );
    // Same scale as the embedded store: 1 when first in every list.
    const best = weights.reduce((a, b) => a + b, 0) / (RRF_K + 1);
    return result.points.map((p) => {
      const payload = p.payload as unknown as ChunkPayload;
      return {
        id: String(p.id),
        documentId: payload.document_id,
        source: payload.source,
        title: payload.title,
        location: payload.location,
        index: payload.chunk_index,
        text: payload.text,
        contentHash: payload.content_hash,
        collection: payload.collection ?? DEFAULT_COLLECTION,
        ...(payload.language !== undefined ? { language: payload.language } : {}),
        score: Math.min(1, p.score / best),
      };
    });
  }

  async count(signal?: AbortSignal): Promise<number> {
    const { exists } = await this.call('check the collection', () => this.client.collectionExists(this.name), signal);
    if (!exists) return 0;
    return (await this.call('count', () => this.client.count(this.name, { exact: true }), signal)).count;
  }

  async documentIds(signal?: AbortSignal): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    let offset: string | number | null | undefined;
    do {
      const page = await this.call(
        'list the chunks',
        () =>
          this.client.scroll(this.name, {
            limit: 1000,
            offset: offset ?? undefined,
            with_payload: { include: ['document_id'] },
            with_vector: false,
          }),
        signal,
      );
      for (const p of page.points) {
        const id = String((p.payload as { document_id?: unknown } | null)?.document_id ?? '');
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      offset = page.next_page_offset as string | number | null | undefined;
    } while (offset !== null && offset !== undefined);
    return counts;
  }

  /** Keywords are a sparse vector of the same point as the dense one: they cannot dangle. */
  async danglingKeywordEntries(): Promise<number> {
    return 0;
  }

  async reset(signal?: AbortSignal): Promise<void> {
    const { exists } = await this.call('check the collection', () => this.client.collectionExists(this.name), signal);
    if (exists) await this.call('drop the collection', () => this.client.deleteCollection(this.name), signal);
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.call('answer', () => this.client.collectionExists(this.name), signal);
  }
}

/**
 * The Qdrant client throws an ApiError carrying `status`, `headers` and `data` for HTTP errors,
 * except 429, which it turns into QdrantClientResourceExhaustedError with `retry_after` (seconds).
 * Network failures carry neither.
 */
function statusOf(error: unknown): number | undefined {
  if ((error as Error)?.name === 'QdrantClientResourceExhaustedError') return 429;
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' ? status : undefined;
}

function retryAfterMs(error: unknown): number | undefined {
  const told = (error as { retry_after?: unknown })?.retry_after;
  if (typeof told === 'number' && Number.isFinite(told)) return Math.min(told * 1000, 30_000);
  const headers = (error as { headers?: Headers | Record<string, string> })?.headers;
  const raw = headers instanceof Headers ? headers.get('retry-after') : headers?.['retry-after'];
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.min(seconds * 1000, 30_000);
  const at = Date.parse(raw);
  return Number.isFinite(at) ? Math.min(Math.max(0, at - Date.now()), 30_000) : undefined;
}

function translate(error: unknown, what: string): unknown {
  if (error instanceof AppError) return error;
  const status = statusOf(error);
  const detail = (error as { data?: { status?: { error?: string } } })?.data?.status?.error;
  const reason =
    status === undefined
      ? 'it could not be reached'
      : status === 401 || status === 403
        ? 'it rejected the API key'
        : `it answered HTTP ${status}${detail ? ` (${detail.slice(0, 200)})` : ''}`;
  return unavailable('vector-store', `The vector store (Qdrant) could not ${what}: ${reason}.`, error);
}
