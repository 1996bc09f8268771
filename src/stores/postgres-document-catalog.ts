import type { DocumentRecord } from '../domain.ts';
import { type DocumentCatalog, KeyedMutex } from './document-catalog.ts';
import { type DocumentRow, documentRows } from './document-rows.ts';
import { runQuery, type Sql } from './postgres-database.ts';
import { POSTGRES_COLUMNS } from './row-columns.ts';

type Row = DocumentRow<Date>;
const { toRecord } = documentRows(POSTGRES_COLUMNS);

export class PostgresDocumentCatalog implements DocumentCatalog {
  // Writers in this process queue here first, so that they do not each hold a pooled connection
  // while waiting for the advisory lock.
  private readonly locks = new KeyedMutex();

  /**
   * `locks` is a separate small pool that holds the advisory locks: a lock holder keeps its
   * connection while its work runs queries on `sql`, so if both came from one pool, enough
   * concurrent writers would hold every connection and wait on each other for ever.
   */
  constructor(
    private readonly sql: Sql,
    private readonly lockPool: Sql = sql,
  ) {}

  /**
   * A session advisory lock on one reserved connection, keyed by the document id, so that the
   * writers of a document on every server instance take turns.
   */
  withDocumentLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(id, async () => {
      const connection = await this.run('could not lock the document', () => this.lockPool.reserve());
      try {
        await connection`SELECT pg_advisory_lock(hashtextextended(${`ragchat-document:${id}`}, 0))`;
        try {
          return await work();
        } finally {
          await connection`SELECT pg_advisory_unlock(hashtextextended(${`ragchat-document:${id}`}, 0))`;
        }
      } finally {
        connection.release();
      }
    });
  }

  private run<T>(what: string, query: () => Promise<T>): Promise<T> {
    return runQuery(what, query);
  }

  async get(id: string): Promise<DocumentRecord | null> {
    const [row] = await this.run(
      'could not read the document',
      () => this.sql<Row[]>`SELECT * FROM documents WHERE id = ${id}`,
    );
    return row ? toRecord(row) : null;
  }

  async findByHash(contentHash: string, collection: string): Promise<DocumentRecord | null> {
    const [row] = await this.run(
      'could not read the document',
      () => this.sql<Row[]>`
      SELECT * FROM documents WHERE content_hash = ${contentHash} AND collection = ${collection}
      ORDER BY source LIMIT 1`,
    );
    return row ? toRecord(row) : null;
  }

  async list(): Promise<DocumentRecord[]> {
    return (
      await this.run('could not list documents', () => this.sql<Row[]>`SELECT * FROM documents ORDER BY source`)
    ).map(toRecord);
  }

  async upsert(r: DocumentRecord): Promise<void> {
    await this.run(
      'could not save the document',
      () => this.sql`
      INSERT INTO documents (id, source, title, content_hash, chunk_count, updated_at, collection, language)
      VALUES (${r.id}, ${r.source}, ${r.title}, ${r.contentHash}, ${r.chunkCount}, ${r.updatedAt}, ${r.collection},
        ${r.language ?? ''})
      ON CONFLICT (id) DO UPDATE SET source = excluded.source, title = excluded.title,
        content_hash = excluded.content_hash, chunk_count = excluded.chunk_count, updated_at = excluded.updated_at,
        collection = excluded.collection, language = excluded.language`,
    );
  }

  async delete(id: string): Promise<void> {
    await this.run('could not delete the document', () => this.sql`DELETE FROM documents WHERE id = ${id}`);
  }
}
