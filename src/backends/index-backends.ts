import type { Database } from 'bun:sqlite';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { DocumentStore } from '../stores/document-store.ts';
import { FilesystemDocumentStore } from '../stores/filesystem-document-store.ts';
import { SqliteVectorStore } from '../stores/sqlite-vector-store.ts';
import type { VectorStore } from '../stores/vector-store.ts';

/** The index: a Qdrant collection (QDRANT_URL), or the embedded one in the SQLite file. */
export async function vectorStoreFor(
  config: Config,
  weights: { keyword: number; vector: number },
  sqlite: () => Database,
): Promise<VectorStore> {
  if (config.qdrant) {
    const { QdrantVectorStore } = await import('../stores/qdrant-vector-store.ts');
    return new QdrantVectorStore({ ...config.qdrant, keywordWeight: weights.keyword, vectorWeight: weights.vector });
  }
  return new SqliteVectorStore(sqlite(), {
    keywordWeight: weights.keyword,
    vectorWeight: weights.vector,
    trigram: config.retrievalTrigram,
  });
}

/** An S3 prefix with the configured connection (region, endpoint). */
export async function s3DocumentStore(
  config: Config,
  bucket: { bucket: string; prefix: string },
): Promise<DocumentStore> {
  const { S3DocumentStore } = await import('../stores/s3-document-store.ts');
  return new S3DocumentStore({ ...config.s3Connection, ...bucket });
}

/** The originals: in DOCS_BUCKET, or on the disk in the data folder. */
export async function documentStoreFor(config: Config): Promise<DocumentStore> {
  return config.docsBucket
    ? s3DocumentStore(config, config.docsBucket)
    : new FilesystemDocumentStore(join(config.dataDir, 'documents'));
}
