import type { Database } from 'bun:sqlite';
import type { DocumentRecord } from '../domain.ts';
import { type DocumentCatalog, KeyedMutex } from './document-catalog.ts';
import { type DocumentRow, documentRows } from './document-rows.ts';
import { SQLITE_COLUMNS } from './row-columns.ts';
import { translateSqliteErrors } from './sqlite-database.ts';

type Row = DocumentRow<string>;
const { toRecord } = documentRows(SQLITE_COLUMNS);

export class SqliteDocumentCatalog implements DocumentCatalog {
  private readonly locks = new KeyedMutex();

  constructor(private readonly db: Database) {
    translateSqliteErrors(this, 'could not read or write the document catalog');
  }

  /** SQLite serves one server process; its locks live in that process. */
  withDocumentLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(id, work);
  }

  async get(id: string): Promise<DocumentRecord | null> {
    const row = this.db.query<Row, [string]>('SELECT * FROM documents WHERE id = ?').get(id);
    return row ? toRecord(row) : null;
  }

  async findByHash(contentHash: string, collection: string): Promise<DocumentRecord | null> {
    const row = this.db
      .query<Row, [string, string]>(
        'SELECT * FROM documents WHERE content_hash = ? AND collection = ? ORDER BY source LIMIT 1',
      )
      .get(contentHash, collection);
    return row ? toRecord(row) : null;
  }

  async list(): Promise<DocumentRecord[]> {
    return this.db.query<Row, []>('SELECT * FROM documents ORDER BY source').all().map(toRecord);
  }

  async upsert(r: DocumentRecord): Promise<void> {
    this.db
      .query(
        `INSERT INTO documents (id, source, title, content_hash, chunk_count, updated_at, collection, language)
         VALUES ($id, $source, $title, $contentHash, $chunkCount, $updatedAt, $collection, $language)
         ON CONFLICT(id) DO UPDATE SET source = excluded.source, title = excluded.title,
           content_hash = excluded.content_hash, chunk_count = excluded.chunk_count, updated_at = excluded.updated_at,
           collection = excluded.collection, language = excluded.language`,
      )
      .run({ ...r, language: r.language ?? '' });
  }

  async delete(id: string): Promise<void> {
    this.db.query('DELETE FROM documents WHERE id = ?').run(id);
  }
}
