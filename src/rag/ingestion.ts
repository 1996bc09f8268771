import { readdir } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { DEFAULT_COLLECTION, type DocumentRecord, type EmbeddedChunk } from '../domain.ts';
import { AppError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { EmbeddingClient } from '../providers/embedding-client.ts';
import { detectLanguage } from '../search/language.ts';
import type { DocumentCatalog } from '../stores/document-catalog.ts';
import type { DocumentStore } from '../stores/document-store.ts';
import type { VectorStore } from '../stores/vector-store.ts';
import { type ChunkingOptions, chunkSection, type Section, type TextChunk } from './chunker.ts';
import {
  DOCUMENT_EXTENSIONS,
  type DocumentFormat,
  type LoaderLimits,
  loadDocument,
} from './loaders/document-loader.ts';

const DEFAULT_LIMITS: LoaderLimits = { maxBytes: 50 * 1024 * 1024, maxPages: 500 };

const CONTENT_TYPES: Record<DocumentFormat, string> = {
  markdown: 'text/markdown; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  html: 'text/html; charset=utf-8',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export type IngestOutcome = 'added' | 'updated' | 'unchanged' | 'empty';

export interface IngestResult {
  id: string;
  source: string;
  title: string;
  outcome: IngestOutcome;
  chunks: number;
  /** For `unchanged`: the document that already holds these bytes (maybe under another name). */
  duplicateOf?: string;
}

export interface IngestFileOptions {
  /** New names whose bytes are already indexed are a no-op (uploads). */
  dedupe?: boolean;
  /** The collection the document goes into (a changed collection re-ingests it). @default 'general' */
  collection?: string;
  /** The content type the file came with, used when its name does not say its format. */
  contentType?: string;
  /** Called after each batch of chunks is written, with the count so far (progress on large files). */
  onChunks?: (written: number) => void;
  signal?: AbortSignal;
}

export interface IngestManyOptions {
  /** The collection the documents go into. @default 'general' */
  collection?: string;
  onProgress?: (p: IngestProgress) => void;
  /** Chunks written so far of a document being ingested (large files show progress). */
  onChunks?: (key: string, written: number) => void;
  signal?: AbortSignal;
}

export interface IngestFailure {
  key: string;
  message: string;
}

export interface IngestSummary {
  documents: number;
  added: number;
  updated: number;
  unchanged: number;
  empty: number;
  removed: number;
  failed: IngestFailure[];
  chunks: number;
  seconds: number;
}

export interface IngestProgress {
  done: number;
  total: number;
  key: string;
  outcome: IngestOutcome | 'failed';
}

export interface IndexAudit {
  /** Documents with chunks (vectors, keyword entries) in the index but no catalog entry. */
  orphanDocuments: { id: string; chunks: number }[];
  /** Keyword entries that belong to no chunk. */
  danglingKeywordEntries: number;
  /** Originals in the document store that no catalog entry names. */
  orphanOriginals: string[];
  /** Catalog entries whose chunks are missing from the index. */
  missingChunks: { id: string; source: string; expected: number; found: number }[];
}

export interface IngestionDeps {
  embedder: EmbeddingClient;
  vectors: VectorStore;
  catalog: DocumentCatalog;
  documents: DocumentStore;
  chunking: ChunkingOptions;
  logger: Logger;
  /** Reads `s3://bucket/prefix` sources; absent, such paths are refused. */
  openBucket?: (bucket: string, prefix: string) => Promise<DocumentStore>;
  /** Chunks embedded per request. @default 64 */
  embedBatchSize?: number;
  /** Documents ingested at once. @default 16 */
  concurrency?: number;
  /** Size and page limits for one document. */
  limits?: LoaderLimits;
  /** Counts documents and chunks by outcome. */
  metrics?: Metrics;
}

/** A stable UUID-shaped id from a name: re-ingesting the same path or chunk gives the same id. */
export function stableId(name: string): string {
  const hex = new Bun.CryptoHasher('sha256').update(name).digest('hex');
  // Shaped as a version-8 (custom) UUID so that stores requiring UUIDs (Qdrant) accept it.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex[16] as string, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const contentHash = (bytes: Uint8Array) => new Bun.CryptoHasher('sha256').update(bytes).digest('hex');

/** The content hash of a catalog entry whose chunks were dropped by `--reindex` and not yet rebuilt. */
export const REINDEX_PENDING = 'reindex-pending';

/** Keys under this prefix belong to uploads; a folder source may not claim it. */
export const RESERVED_PREFIXES = ['uploads/'];

/**
 * Reads documents into the index: parse → chunk → embed in batches → store. Identity is the
 * document key (its path): an unchanged file is skipped; a changed one is re-chunked, its chunks
 * overwritten in place (ids come from document id and chunk index) and the leftovers of a longer
 * old version removed, so searches never see the document vanish midway. The catalog entry is
 * written last: a failure midway leaves no entry, and the next run redoes that document.
 */
export class Ingestion {
  constructor(private readonly deps: IngestionDeps) {}

  /**
   * Ingests one document. With `dedupe`, bytes that are already indexed under any key are a
   * no-op that names the existing document (uploads use this).
   */
  async ingestFile(key: string, bytes: Uint8Array, options: IngestFileOptions = {}): Promise<IngestResult> {
    const id = stableId(key);
    const { metrics } = this.deps;
    try {
      const result = await this.deps.catalog.withDocumentLock(id, () => this.ingestLocked(id, key, bytes, options));
      metrics?.ingestedDocuments.inc({ outcome: result.outcome });
      if (result.chunks > 0) metrics?.ingestedChunks.inc({ outcome: result.outcome }, result.chunks);
      return result;
    } catch (error) {
      if (!options.signal?.aborted) metrics?.ingestedDocuments.inc({ outcome: 'failed' });
      throw error;
    }
  }

  /**
   * One document, under its lock: skipped when already indexed, else its original stored, its
   * chunks written in batches over the old version's, and the catalog entry written last, which
   * says the version is complete.
   */
  private async ingestLocked(
    id: string,
    key: string,
    bytes: Uint8Array,
    options: IngestFileOptions,
  ): Promise<IngestResult> {
    const { catalog, documents } = this.deps;
    const hash = contentHash(bytes);
    const collection = options.collection ?? DEFAULT_COLLECTION;
    const existing = await catalog.get(id);
    const skipped = await this.alreadyIndexed(id, hash, collection, existing, options.dedupe);
    if (skipped) return skipped;

    const loaded = await loadDocument(key, bytes, this.deps.limits ?? DEFAULT_LIMITS, options.contentType);
    const doc = { id, source: key, title: loaded.title, contentHash: hash, collection };
    await documents.put(key, bytes, CONTENT_TYPES[loaded.format]);
    let written: { chunks: number; language: string };
    try {
      written = await this.writeChunks(doc, loaded.sections, options);
    } catch (error) {
      await this.undoPartialVersion(doc, existing);
      throw error;
    }
    return this.recordVersion({ ...doc, language: written.language }, written.chunks, existing, options);
  }

  /** The answer when nothing is to be done: the same bytes in the same collection, or (deduping) under another name. */
  private async alreadyIndexed(
    id: string,
    hash: string,
    collection: string,
    existing: DocumentRecord | null,
    dedupe: boolean | undefined,
  ): Promise<IngestResult | null> {
    const unchanged = (doc: DocumentRecord): IngestResult => ({
      id: doc.id,
      source: doc.source,
      title: doc.title,
      outcome: 'unchanged',
      chunks: doc.chunkCount,
      duplicateOf: doc.source,
    });
    if (existing && existing.contentHash === hash && existing.collection === collection) {
      return { ...unchanged(existing), id };
    }
    // Dedupe only a new name: a new version of an existing name always replaces it, even when its
    // bytes equal another document's.
    if (dedupe && !existing) {
      const twin = await this.deps.catalog.findByHash(hash, collection);
      if (twin) return unchanged(twin);
    }
    return null;
  }

  /**
   * Sections arrive one at a time (a PDF page at a time) and chunks are embedded and written in
   * batches as they come, so a large document never sits in memory as vectors all at once.
   * Writes overwrite chunk i of the old version in place. Returns the number of chunks written
   * and the document's language (the one most of its text is in).
   */
  private async writeChunks(
    doc: Omit<DocumentRecord, 'chunkCount' | 'updatedAt'>,
    sections: AsyncIterable<Section>,
    options: IngestFileOptions,
  ): Promise<{ chunks: number; language: string }> {
    const { vectors, embedder, chunking } = this.deps;
    const { signal } = options;
    const batchSize = this.deps.embedBatchSize ?? 64;
    let pending: TextChunk[] = [];
    let written = 0;
    // Characters per detected language: the document's language is the one most of it is in.
    const languageShare = new Map<string, number>();
    const flush = async () => {
      if (pending.length === 0) return;
      const embedded = await embedder.embed(
        pending.map((p) => [doc.title, p.location, p.text].filter(Boolean).join('\n')),
        signal,
      );
      const chunks: EmbeddedChunk[] = pending.map((p, j) => {
        const language = detectLanguage(p.text);
        languageShare.set(language, (languageShare.get(language) ?? 0) + p.text.length);
        return {
          id: stableId(`${doc.id}:${written + j}`),
          documentId: doc.id,
          source: doc.source,
          title: doc.title,
          location: p.location,
          index: written + j,
          text: p.text,
          contentHash: doc.contentHash,
          collection: doc.collection,
          // Per chunk, not per document: a manual may have its Spanish and English halves.
          language,
          vector: embedded[j] as Float32Array,
        };
      });
      await vectors.upsert(chunks, signal);
      written += chunks.length;
      pending = [];
      options.onChunks?.(written);
    };
    for await (const section of sections) {
      for (const piece of chunkSection(section, chunking)) {
        pending.push(piece);
        if (pending.length >= batchSize) await flush();
      }
    }
    await flush();
    return { chunks: written, language: [...languageShare].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '' };
  }

  /**
   * After a failed write, some chunks of the new version may be written already. A new document
   * leaves nothing behind; an existing one is emptied and marked for rebuilding (its new original
   * is stored), so search never serves a mix of versions or passages no document owns.
   */
  private async undoPartialVersion(doc: { id: string; source: string }, existing: DocumentRecord | null) {
    const { vectors, catalog, documents } = this.deps;
    await vectors.deleteDocument(doc.id, 0).catch(() => {});
    if (existing) await catalog.upsert({ ...existing, contentHash: REINDEX_PENDING, chunkCount: 0 }).catch(() => {});
    else await documents.delete(doc.source).catch(() => {});
  }

  /** The version's end: the old version's extra chunks dropped, then the catalog entry written. */
  private async recordVersion(
    doc: Omit<DocumentRecord, 'chunkCount' | 'updatedAt'>,
    written: number,
    existing: DocumentRecord | null,
    options: IngestFileOptions,
  ): Promise<IngestResult> {
    const { id, source, title } = doc;
    if (written === 0) {
      // Nothing to index. A folder's file emptied on disk is gone from the index too; an empty
      // upload is refused and changes nothing (its original is taken back out).
      if (existing && !options.dedupe) await this.removeLocked(id, options.signal);
      else if (!existing) await this.deps.documents.delete(source);
      return { id, source, title, outcome: 'empty', chunks: 0 };
    }
    await this.deps.vectors.deleteDocument(id, written, options.signal);
    await this.deps.catalog.upsert({ ...doc, chunkCount: written, updatedAt: new Date().toISOString() });
    return { id, source, title, outcome: existing ? 'updated' : 'added', chunks: written };
  }

  /**
   * Ingests many documents with bounded concurrency: up to `concurrency` documents at once, each
   * embedding its chunks in batches, so a remote embedder's latency overlaps instead of adding up.
   */
  async ingestMany(
    docs: { key: string; read?: () => Promise<Uint8Array>; bytes?: Uint8Array; collection?: string }[],
    options: IngestManyOptions = {},
  ): Promise<IngestSummary> {
    const started = performance.now();
    const summary = emptySummary(docs.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < docs.length) {
        const doc = docs[next++] as (typeof docs)[number];
        try {
          const bytes = doc.bytes ?? (await (doc.read as () => Promise<Uint8Array>)());
          const { outcome, chunks } = await this.ingestFile(doc.key, bytes, {
            collection: doc.collection ?? options.collection,
            signal: options.signal,
            onChunks: options.onChunks ? (written) => options.onChunks?.(doc.key, written) : undefined,
          });
          summary[outcome]++;
          summary.chunks += chunks;
          options.onProgress?.({ done: ++done, total: docs.length, key: doc.key, outcome });
        } catch (error) {
          if (options.signal?.aborted) throw error;
          summary.failed.push({ key: doc.key, message: error instanceof Error ? error.message : String(error) });
          this.deps.logger.warn('a document could not be ingested', { key: doc.key, error: error as Error });
          options.onProgress?.({ done: ++done, total: docs.length, key: doc.key, outcome: 'failed' });
        }
      }
    };
    const concurrency = Math.max(1, Math.min(this.deps.concurrency ?? 16, docs.length));
    await Promise.all(Array.from({ length: concurrency }, worker));
    summary.seconds = (performance.now() - started) / 1000;
    return summary;
  }

  /** Removes a document's chunks (vectors and keyword entries), original and catalog entry. */
  async remove(documentId: string, signal?: AbortSignal): Promise<DocumentRecord | null> {
    const removed = await this.deps.catalog.withDocumentLock(documentId, () => this.removeLocked(documentId, signal));
    if (removed) this.deps.metrics?.ingestedDocuments.inc({ outcome: 'removed' });
    return removed;
  }

  private async removeLocked(documentId: string, signal?: AbortSignal): Promise<DocumentRecord | null> {
    const record = await this.deps.catalog.get(documentId);
    await this.deps.vectors.deleteDocument(documentId, 0, signal);
    if (record) await this.deps.documents.delete(record.source);
    await this.deps.catalog.delete(documentId);
    return record;
  }

  /**
   * After `--reindex` dropped the index: rebuilds every document still marked pending from its
   * original in the document store (uploads included), so no document is lost by a re-index.
   */
  async reingestPending(options: IngestManyOptions = {}): Promise<IngestSummary> {
    const pending = (await this.deps.catalog.list()).filter((d) => d.contentHash === REINDEX_PENDING);
    return this.ingestMany(
      pending.map((doc) => ({
        key: doc.source,
        collection: doc.collection,
        read: async () => {
          const bytes = await this.deps.documents.get(doc.source);
          if (!bytes) throw new Error('its original is missing from the document store; ingest it again or delete it');
          return bytes;
        },
      })),
      options,
    );
  }

  /**
   * Ingests every supported file under each folder, file or `s3://bucket/prefix`. Keys are the
   * path below the folder prefixed with the folder's name, so two folders with a README.md do not
   * collide. A document that fails is reported and the others go on. With `prune`, documents under
   * those prefixes that are no longer there are removed.
   */
  async ingestPaths(paths: string[], options: IngestManyOptions & { prune?: boolean } = {}): Promise<IngestSummary> {
    const started = performance.now();
    const files = (await Promise.all(paths.map((p) => this.listSource(p)))).flat();
    const summary = await this.ingestMany(files, options);
    // Failures in the order of the files, whatever order the workers finished in.
    const order = new Map(files.map((f, i) => [f.key, i]));
    summary.failed.sort((a, b) => (order.get(a.key) ?? 0) - (order.get(b.key) ?? 0));
    if (options.prune) {
      const prefixes = [...new Set(files.map((f) => f.prefix))];
      const seen = new Set(files.map((f) => stableId(f.key)));
      for (const doc of await this.deps.catalog.list()) {
        if (
          prefixes.some((p) => doc.source.startsWith(p)) &&
          !seen.has(doc.id) &&
          doc.contentHash !== REINDEX_PENDING
        ) {
          await this.remove(doc.id, options.signal);
          summary.removed++;
        }
      }
    }
    summary.seconds = (performance.now() - started) / 1000;
    this.deps.logger.debug('ingested', { ...summary, failed: summary.failed.length });
    return summary;
  }

  /** Compares the catalog with the index and the document store; with `repair`, removes the strays. */
  async audit(options: { repair?: boolean; signal?: AbortSignal } = {}): Promise<IndexAudit> {
    const { catalog, vectors, documents } = this.deps;
    const known = new Map((await catalog.list()).map((d) => [d.id, d]));
    const indexed = await vectors.documentIds(options.signal);
    const orphanDocuments = [...indexed].filter(([id]) => !known.has(id)).map(([id, chunks]) => ({ id, chunks }));
    const missingChunks = [...known.values()]
      .filter((d) => (indexed.get(d.id) ?? 0) !== d.chunkCount)
      .map((d) => ({ id: d.id, source: d.source, expected: d.chunkCount, found: indexed.get(d.id) ?? 0 }));
    const sources = new Set([...known.values()].map((d) => d.source));
    // Only files ingestion could have written count: nothing else in a shared bucket is touched.
    const orphanOriginals = (await documents.list()).filter((key) => supported(key) && !sources.has(key));
    const danglingKeywordEntries = await vectors.danglingKeywordEntries(Boolean(options.repair), options.signal);
    if (options.repair) {
      // Under each document's lock, and only if it is still not catalogued: an upload may be
      // between writing its chunks and writing its catalog entry.
      for (const orphan of orphanDocuments) {
        await catalog.withDocumentLock(orphan.id, async () => {
          if (!(await catalog.get(orphan.id))) await vectors.deleteDocument(orphan.id, 0, options.signal);
        });
      }
      for (const key of orphanOriginals) {
        const id = stableId(key);
        await catalog.withDocumentLock(id, async () => {
          if (!(await catalog.get(id))) await documents.delete(key);
        });
      }
    }
    return { orphanDocuments, danglingKeywordEntries, orphanOriginals, missingChunks };
  }

  private async listSource(path: string): Promise<SourceFile[]> {
    const s3 = s3Location(path);
    if (!s3) return listFolder(path);
    if (!this.deps.openBucket) throw new AppError('invalid_input', 'Reading from S3 is not configured.', 400);
    const { bucket, prefix: rawPrefix } = s3;
    const prefix = rawPrefix && !rawPrefix.endsWith('/') ? `${rawPrefix}/` : rawPrefix;
    const store = await this.deps.openBucket(bucket, prefix);
    const label = sourcePrefix(prefix.split('/').filter(Boolean).at(-1) ?? bucket);
    return (await store.list())
      .filter((key) => supported(key) && !basename(key).startsWith('.'))
      .map((key) => ({
        key: label + key,
        prefix: label,
        read: async () => {
          const bytes = await store.get(key);
          if (!bytes) throw new Error(`s3://${bucket}/${prefix}${key} disappeared while ingesting`);
          return bytes;
        },
      }));
  }
}

/** Text as UTF-8 (a byte-order mark dropped); anything that is not text is refused by name. */
function emptySummary(documents: number): IngestSummary {
  return { documents, added: 0, updated: 0, unchanged: 0, empty: 0, removed: 0, failed: [], chunks: 0, seconds: 0 };
}

/** The key prefix of a folder or S3 source; refuses names that would claim uploads' keys. */
function sourcePrefix(name: string): string {
  const prefix = `${name}/`;
  if (RESERVED_PREFIXES.includes(prefix)) {
    throw new AppError(
      'reserved_name',
      `A source named "${name}" would mix its documents with uploaded ones (keys under ${prefix}); rename the folder or ingest its parent.`,
      400,
    );
  }
  return prefix;
}

interface SourceFile {
  key: string;
  prefix: string;
  read(): Promise<Uint8Array>;
}

const supported = (name: string) => DOCUMENT_EXTENSIONS.includes(extname(name).toLowerCase());

async function listFolder(path: string): Promise<SourceFile[]> {
  const root = resolve(path);
  const info = await Bun.file(root)
    .stat()
    .catch(() => null);
  if (!info) throw new Error(`No such file or folder: ${path}`);
  const reader = (file: string) => async () => new Uint8Array(await Bun.file(file).arrayBuffer());
  if (info.isFile()) {
    return supported(root) ? [{ key: basename(root), prefix: basename(root), read: reader(root) }] : [];
  }
  const prefix = sourcePrefix(basename(root));
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && supported(e.name) && !e.name.startsWith('.'))
    .map((e) => {
      const full = join(e.parentPath, e.name);
      return { key: prefix + relative(root, full).split(sep).join('/'), prefix, read: reader(full) };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * `s3://bucket/prefix` split into its bucket and prefix (null for a folder path), with string
 * operations: /^s3:\/\/([^/]+)\/?(.*)$/ backtracks quadratically on a long bucket part.
 */
export function s3Location(path: string): { bucket: string; prefix: string } | null {
  if (!path.startsWith('s3://')) return null;
  const rest = path.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const prefix = slash === -1 ? '' : rest.slice(slash + 1);
  // As the expression had it: a bucket is needed, and the prefix's `.` never matched a line end.
  if (bucket === '' || /[\n\r\u2028\u2029]/.test(prefix)) return null;
  return { bucket, prefix };
}
