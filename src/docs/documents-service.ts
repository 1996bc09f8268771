import { type AuthService, requireAdmin } from '../auth/auth-service.ts';
import { DEFAULT_COLLECTION, type DocumentRecord, type Principal } from '../domain.ts';
import { badInput, notFoundSaying } from '../errors.ts';
import { type Said, say } from '../i18n/translator.ts';
import type { Ingestion, IngestResult } from '../rag/ingestion.ts';
import type { DocumentCatalog } from '../stores/document-catalog.ts';
import type { DocumentStore } from '../stores/document-store.ts';
import { checkUpload, type UploadRules } from './upload.ts';

/** One uploaded file, as ingested, with the collection it went into. */
export interface Uploaded extends IngestResult {
  collection: string;
  /** What a person reads about it. */
  message: Said;
}

export interface DocumentsServiceDeps {
  ingestion: Ingestion;
  catalog: DocumentCatalog;
  documents: DocumentStore;
  auth: AuthService;
  uploads: UploadRules;
}

/**
 * The documents' use cases, shared by the page and the JSON API so that both check, ingest and
 * audit an upload the same way: upload and delete (admins), what a caller may read, one original.
 */
export class DocumentsService {
  constructor(private readonly deps: DocumentsServiceDeps) {}

  /** Checks the file against the upload rules, ingests it (the same bytes again are a no-op) and audits it. */
  async upload(principal: Principal, file: File, collection: string): Promise<Uploaded> {
    requireAdmin(principal);
    const { key, bytes, contentType } = await checkUpload(file, this.deps.uploads, collection);
    const result = await this.deps.ingestion.ingestFile(key, bytes, { dedupe: true, contentType, collection });
    await this.deps.auth.audit(
      principal,
      `document.${result.outcome === 'added' ? 'add' : 'upload'}`,
      `document:${key}`,
      {
        collection,
        outcome: result.outcome,
      },
    );
    return { ...result, collection, message: uploadMessage(result) };
  }

  /** The collection an upload goes into: the form's `collection` field, which must exist. */
  async collectionFor(value: unknown): Promise<string> {
    if (value === undefined || value === '') return DEFAULT_COLLECTION;
    if (typeof value !== 'string' || !(await this.deps.auth.listCollections()).some((c) => c.id === value)) {
      throw badInput(say('error.upload.noCollection'));
    }
    return value;
  }

  /** Deletes a document: its original, chunks, keyword entries and vectors. */
  async remove(principal: Principal, id: string): Promise<DocumentRecord> {
    requireAdmin(principal);
    const removed = await this.deps.ingestion.remove(id);
    if (!removed) throw notFoundSaying(say('error.document.notFound'));
    await this.deps.auth.audit(principal, 'document.delete', `document:${removed.source}`, {
      collection: removed.collection,
    });
    return removed;
  }

  /** The documents of the collections the principal may read. */
  async readableBy(principal: Principal): Promise<DocumentRecord[]> {
    return (await this.deps.catalog.list()).filter((d) => this.deps.auth.canRead(principal, d.collection));
  }

  /**
   * One document and its original bytes, if the principal may read its collection. A document of
   * a collection they may not read does not exist, as far as they can tell.
   */
  async original(principal: Principal, id: string): Promise<{ record: DocumentRecord; bytes: Uint8Array }> {
    const found = await this.deps.catalog.get(id);
    const record = found && this.deps.auth.canRead(principal, found.collection) ? found : null;
    const bytes = record ? await this.deps.documents.get(record.source) : null;
    if (!record || !bytes) throw notFoundSaying(say('error.document.notFound'));
    return { record, bytes };
  }
}

/** What a person reads about one upload (in their language on the page, in English in the API). */
export function uploadMessage(r: IngestResult): Said {
  switch (r.outcome) {
    case 'added':
      return say('upload.added', { title: r.title, count: r.chunks });
    case 'updated':
      return say('upload.updated', { title: r.title, count: r.chunks });
    case 'unchanged':
      return say('upload.unchanged', { source: r.duplicateOf ?? '' });
    case 'empty':
      return say('upload.empty', { title: r.title });
  }
}
