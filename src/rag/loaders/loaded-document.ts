import type { Section } from '../chunker.ts';

/** What every loader returns; apart from document-loader.ts, which imports the loaders. */
export type DocumentFormat = 'markdown' | 'text' | 'html' | 'pdf' | 'docx';

/** A document read for indexing. Sections may arrive one by one (a PDF page at a time). */
export interface LoadedDocument {
  title: string;
  format: DocumentFormat;
  sections: AsyncIterable<Section>;
}

/** Sections from an array, for loaders that read everything at once. */
export async function* fromArray(sections: Section[]): AsyncIterable<Section> {
  yield* sections;
}
