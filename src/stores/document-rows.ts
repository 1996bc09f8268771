import type { DocumentRecord } from '../domain.ts';
import type { ColumnReader } from './row-columns.ts';

/** A row of `documents` (the catalog), in either backend. */
export interface DocumentRow<Time> {
  id: string;
  source: string;
  title: string;
  content_hash: string;
  chunk_count: number;
  updated_at: Time;
  collection: string;
  /** The language most of its text is in ('' before it was detected). */
  language: string;
}

export function documentRows<Time>(columns: ColumnReader<Time, unknown>) {
  return {
    toRecord: (r: DocumentRow<Time>): DocumentRecord => ({
      id: r.id,
      source: r.source,
      title: r.title,
      contentHash: r.content_hash,
      chunkCount: r.chunk_count,
      updatedAt: columns.time(r.updated_at),
      collection: r.collection,
      ...(r.language ? { language: r.language } : {}),
    }),
  };
}
