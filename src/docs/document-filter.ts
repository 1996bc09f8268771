import type { DocumentRecord } from '../domain.ts';
import { badInput } from '../errors.ts';

/** How the documents list can be ordered; the first is the default. */
export const DOCUMENT_SORTS = ['title', 'updated', 'source', 'chunks'] as const;
export type DocumentSort = (typeof DOCUMENT_SORTS)[number];

export interface DocumentFilter {
  /** Words that must all appear in the title or the file's path, in any case. */
  q: string;
  /** One collection id, or '' for all. */
  collection: string;
  sort: DocumentSort;
}

const MAX_QUERY_CHARS = 200;

/** The filter a query string asks for (`?q=&collection=&sort=`), or a 400 that says what is wrong. */
export function parseDocumentFilter(query: Record<string, unknown>): DocumentFilter {
  const text = (name: string) => {
    const value = query[name];
    if (value === undefined) return '';
    if (typeof value !== 'string') throw badInput(`Give "${name}" once, as text.`);
    return value.trim();
  };
  const q = text('q');
  if (q.length > MAX_QUERY_CHARS) throw badInput(`A filter has at most ${MAX_QUERY_CHARS} characters.`);
  const sort = text('sort') || DOCUMENT_SORTS[0];
  if (!(DOCUMENT_SORTS as readonly string[]).includes(sort)) {
    throw badInput(`Sort by one of: ${DOCUMENT_SORTS.join(', ')}.`);
  }
  return { q, collection: text('collection'), sort: sort as DocumentSort };
}

const byText = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'base', numeric: true });

const COMPARE: Record<DocumentSort, (a: DocumentRecord, b: DocumentRecord) => number> = {
  title: (a, b) => byText(a.title, b.title) || byText(a.source, b.source),
  source: (a, b) => byText(a.source, b.source),
  // Newest first, and biggest first: what a person sorting by these looks for.
  updated: (a, b) => b.updatedAt.localeCompare(a.updatedAt) || byText(a.title, b.title),
  chunks: (a, b) => b.chunkCount - a.chunkCount || byText(a.title, b.title),
};

/** The documents that match, in the order asked for. */
export function filterDocuments(documents: DocumentRecord[], filter: DocumentFilter): DocumentRecord[] {
  const words = filter.q.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  return documents
    .filter((d) => !filter.collection || d.collection === filter.collection)
    .filter((d) => {
      const haystack = `${d.title} ${d.source}`.toLocaleLowerCase();
      return words.every((w) => haystack.includes(w));
    })
    .sort(COMPARE[filter.sort]);
}
