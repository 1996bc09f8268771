import type { DocumentRecord } from '../domain.ts';

/** The list of ingested documents and the content hash each was indexed at. */
export interface DocumentCatalog {
  get(id: string): Promise<DocumentRecord | null>;
  /** A document with exactly these bytes (by SHA-256), if one was ingested. */
  findByHash(contentHash: string): Promise<DocumentRecord | null>;
  list(): Promise<DocumentRecord[]>;
  upsert(record: DocumentRecord): Promise<void>;
  delete(id: string): Promise<void>;
}
