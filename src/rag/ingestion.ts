import { readdir } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import type { DocumentRecord, EmbeddedChunk } from '../domain.ts';
import type { Logger } from '../logger.ts';
import type { EmbeddingClient } from '../providers/embedding-client.ts';
import type { DocumentCatalog } from '../stores/document-catalog.ts';
import type { DocumentStore } from '../stores/document-store.ts';
import type { VectorStore } from '../stores/vector-store.ts';
import { type ChunkingOptions, chunkDocument, type ParsedDocument, parseMarkdown, parsePlainText } from './chunker.ts';

export const SUPPORTED_EXTENSIONS = ['.md', '.markdown', '.txt'];

export type IngestOutcome = 'added' | 'updated' | 'unchanged' | 'empty';

export interface IngestSummary {
  documents: number;
  added: number;
  updated: number;
  unchanged: number;
  empty: number;
  removed: number;
  chunks: number;
  seconds: number;
}

export interface IngestProgress {
  done: number;
  total: number;
  key: string;
  outcome: IngestOutcome;
}

export interface IngestionDeps {
  embedder: EmbeddingClient;
  vectors: VectorStore;
  catalog: DocumentCatalog;
  documents: DocumentStore;
  chunking: ChunkingOptions;
  logger: Logger;
  /** Chunks embedded per request. @default 64 */
  embedBatchSize?: number;
}

/** A stable UUID-shaped id from a name: re-ingesting the same path or chunk gives the same id. */
export function stableId(name: string): string {
  const hex = new Bun.CryptoHasher('sha256').update(name).digest('hex');
  // Shaped as a version-8 (custom) UUID so that stores requiring UUIDs (Qdrant) accept it.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((Number.parseInt(hex[16] as string, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const contentHash = (bytes: Uint8Array) => new Bun.CryptoHasher('sha256').update(bytes).digest('hex');

/**
 * Reads files into the index: parse → chunk → embed in batches → store. Identity is the document
 * key (its path); an unchanged file (same content hash) is skipped; a changed one has its old
 * chunks removed before the new ones are written.
 */
export class Ingestion {
  constructor(private readonly deps: IngestionDeps) {}

  /** Ingests one file given its key (a relative path) and bytes. */
  async ingestFile(
    key: string,
    bytes: Uint8Array,
    signal?: AbortSignal,
  ): Promise<{ outcome: IngestOutcome; chunks: number }> {
    const { catalog, vectors, documents, embedder, chunking } = this.deps;
    const id = stableId(key);
    const hash = contentHash(bytes);
    const existing = await catalog.get(id);
    if (existing && existing.contentHash === hash) return { outcome: 'unchanged', chunks: existing.chunkCount };

    const parsed = parse(key, new TextDecoder('utf-8').decode(bytes));
    const pieces = chunkDocument(parsed, chunking);
    if (pieces.length === 0) {
      // Nothing to index; drop what an earlier version left behind.
      if (existing) await this.remove(id, signal);
      return { outcome: 'empty', chunks: 0 };
    }

    const chunks: EmbeddedChunk[] = [];
    const batch = this.deps.embedBatchSize ?? 64;
    for (let i = 0; i < pieces.length; i += batch) {
      const slice = pieces.slice(i, i + batch);
      const vectors = await embedder.embed(
        slice.map((p) => [parsed.title, p.location, p.text].filter(Boolean).join('\n')),
        signal,
      );
      slice.forEach((p, j) => {
        const index = i + j;
        chunks.push({
          id: stableId(`${id}:${index}`),
          documentId: id,
          source: key,
          title: parsed.title,
          location: p.location,
          index,
          text: p.text,
          contentHash: hash,
          vector: vectors[j] as Float32Array,
        });
      });
    }

    await documents.put(key, bytes);
    if (existing) await vectors.deleteDocument(id, signal);
    await vectors.upsert(chunks, signal);
    const record: DocumentRecord = {
      id,
      source: key,
      title: parsed.title,
      contentHash: hash,
      chunkCount: chunks.length,
      updatedAt: new Date().toISOString(),
    };
    await catalog.upsert(record);
    return { outcome: existing ? 'updated' : 'added', chunks: chunks.length };
  }

  /** Removes a document's chunks, original and catalog entry. */
  async remove(documentId: string, signal?: AbortSignal): Promise<void> {
    const record = await this.deps.catalog.get(documentId);
    await this.deps.vectors.deleteDocument(documentId, signal);
    if (record) await this.deps.documents.delete(record.source);
    await this.deps.catalog.delete(documentId);
  }

  /**
   * Ingests every supported file under each folder (or each file named). Keys are the path below
   * the folder prefixed with the folder's name, so two folders with a README.md do not collide.
   * With `prune`, documents under those prefixes that are no longer on disk are removed.
   */
  async ingestPaths(
    paths: string[],
    options: { prune?: boolean; onProgress?: (p: IngestProgress) => void; signal?: AbortSignal } = {},
  ): Promise<IngestSummary> {
    const started = performance.now();
    const files = (await Promise.all(paths.map(listFiles))).flat();
    const summary: IngestSummary = {
      documents: files.length,
      added: 0,
      updated: 0,
      unchanged: 0,
      empty: 0,
      removed: 0,
      chunks: 0,
      seconds: 0,
    };
    let done = 0;
    for (const file of files) {
      const bytes = new Uint8Array(await Bun.file(file.path).arrayBuffer());
      const { outcome, chunks } = await this.ingestFile(file.key, bytes, options.signal);
      summary[outcome]++;
      summary.chunks += chunks;
      options.onProgress?.({ done: ++done, total: files.length, key: file.key, outcome });
    }
    if (options.prune) {
      const prefixes = [...new Set(files.map((f) => f.prefix))];
      const seen = new Set(files.map((f) => stableId(f.key)));
      for (const doc of await this.deps.catalog.list()) {
        if (prefixes.some((p) => doc.source.startsWith(p)) && !seen.has(doc.id)) {
          await this.remove(doc.id, options.signal);
          summary.removed++;
        }
      }
    }
    summary.seconds = (performance.now() - started) / 1000;
    this.deps.logger.debug('ingested', { ...summary });
    return summary;
  }
}

function parse(key: string, text: string): ParsedDocument {
  const name = basename(key)
    .replace(/\.[^.]+$/, '')
    .replace(/[-_]+/g, ' ');
  const fallbackTitle = name.charAt(0).toUpperCase() + name.slice(1);
  return extname(key).toLowerCase() === '.txt'
    ? parsePlainText(text, fallbackTitle)
    : parseMarkdown(text, fallbackTitle);
}

interface FoundFile {
  path: string;
  key: string;
  prefix: string;
}

async function listFiles(path: string): Promise<FoundFile[]> {
  const root = resolve(path);
  const info = await Bun.file(root)
    .stat()
    .catch(() => null);
  if (!info) throw new Error(`No such file or folder: ${path}`);
  const supported = (name: string) => SUPPORTED_EXTENSIONS.includes(extname(name).toLowerCase());
  if (info.isFile()) {
    return supported(root) ? [{ path: root, key: basename(root), prefix: basename(root) }] : [];
  }
  const prefix = `${basename(root)}/`;
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && supported(e.name) && !e.name.startsWith('.'))
    .map((e) => {
      const full = join(e.parentPath, e.name);
      return { path: full, key: prefix + relative(root, full).split(sep).join('/'), prefix };
    })
    .sort((a, b) => a.key.localeCompare(b.key));
}
