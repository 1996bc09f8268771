import type { DocumentRecord } from '../domain.ts';

/** The list of ingested documents and the content hash each was indexed at. */
export interface DocumentCatalog {
  get(id: string): Promise<DocumentRecord | null>;
  /** A document of the collection with exactly these bytes (by SHA-256), if one was ingested. */
  findByHash(contentHash: string, collection: string): Promise<DocumentRecord | null>;
  list(): Promise<DocumentRecord[]>;
  upsert(record: DocumentRecord): Promise<void>;
  delete(id: string): Promise<void>;
  /**
   * Runs `work` while holding the document's lock, so that two writers of one document (two
   * uploads of the same name, an upload and `ingest --repair`) never interleave. Postgres takes an
   * advisory lock that holds across server instances; SQLite a lock in this process.
   */
  withDocumentLock<T>(id: string, work: () => Promise<T>): Promise<T>;
}

/** In-process locks by key: each holder waits for the previous one to finish. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
