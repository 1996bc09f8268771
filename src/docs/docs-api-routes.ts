import { Elysia } from 'elysia';
import type { AuthService } from '../auth/auth-service.ts';
import { principalOf, requireAdmin } from '../auth/request-auth.ts';
import type { AppDeps } from '../deps.ts';
import { DEFAULT_COLLECTION } from '../domain.ts';
import { badInput, notFoundSaying } from '../errors.ts';
import { type Said, say } from '../i18n/translator.ts';
import { type IngestResult, REINDEX_PENDING } from '../rag/ingestion.ts';
import { filterDocuments, parseDocumentFilter } from './document-filter.ts';
import { checkUpload, filesOf } from './upload.ts';

/** What a person reads about one upload. */
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

/** The collection an upload goes into: the form's `collection` field, which must exist. */
export async function uploadCollection(body: unknown, auth: AuthService): Promise<string> {
  const value = (body as Record<string, unknown> | null)?.collection;
  if (value === undefined || value === '') return DEFAULT_COLLECTION;
  if (typeof value !== 'string' || !(await auth.listCollections()).some((c) => c.id === value)) {
    throw badInput(say('error.upload.noCollection'));
  }
  return value;
}

/** JSON API for documents: upload and delete (admins), list (what the caller may read). */
export function docsApiRoutes(deps: AppDeps) {
  const { ingestion, config, auth } = deps;
  return new Elysia({ prefix: '/api/docs' })
    .post(
      '/upload',
      async ({ body, request, set }) => {
        const principal = principalOf(request);
        requireAdmin(principal);
        const files = filesOf(body);
        if (files.length !== 1) throw badInput('Send exactly one file, as the multipart form field "file".');
        const collection = await uploadCollection(body, auth);
        const { key, bytes, contentType } = await checkUpload(files[0], config.uploads, collection);
        const result = await ingestion.ingestFile(key, bytes, { dedupe: true, contentType, collection });
        await auth.audit(principal, `document.${result.outcome === 'added' ? 'add' : 'upload'}`, `document:${key}`, {
          collection,
          outcome: result.outcome,
        });
        if (result.outcome === 'empty') {
          set.status = 422;
          return { error: { code: 'no_text', message: uploadMessage(result).text } };
        }
        set.status = result.outcome === 'added' ? 201 : 200;
        return {
          id: result.id,
          source: result.source,
          title: result.title,
          chunks: result.chunks,
          collection,
          status: result.outcome,
          message: uploadMessage(result).text,
        };
      },
      {
        detail: {
          summary: 'Upload and ingest a document',
          description:
            'Admins only. Multipart form with one `file` and optionally `collection` (default `general`). 201 when added; 200 when it replaced an earlier version of the same name ' +
            '(`updated`) or when the same bytes are already indexed (`unchanged`, a no-op). 413, 415 or 422 say why a file was refused.',
        },
      },
    )
    .get(
      '',
      async ({ request, query }) => ({
        documents: filterDocuments(await readableDocuments(deps, request), parseDocumentFilter(query)).map((d) => ({
          id: d.id,
          source: d.source,
          title: d.title,
          collection: d.collection,
          chunks: d.chunkCount,
          contentHash: d.contentHash,
          updatedAt: d.updatedAt,
          // `reindex-pending`: the index was dropped by --reindex and this one is not rebuilt yet.
          status: d.contentHash === REINDEX_PENDING ? 'reindex-pending' : 'indexed',
        })),
      }),
      {
        detail: {
          summary: 'List the documents of the collections the caller may read, with their chunk counts',
          description:
            'Optional query: `q` (words that must all appear in the title or path, any case), `collection` (one collection id) and ' +
            '`sort` (`title`, the default; `updated`, newest first; `source`; `chunks`, most first). A bad `sort` is a 400 that lists the choices.',
        },
      },
    )
    .delete(
      '/:id',
      async ({ params, request, set }) => {
        const principal = principalOf(request);
        requireAdmin(principal);
        const removed = await ingestion.remove(params.id);
        if (!removed) throw notFoundSaying(say('error.document.notFound'));
        await auth.audit(principal, 'document.delete', `document:${removed.source}`, {
          collection: removed.collection,
        });
        set.status = 204;
        return '';
      },
      { detail: { summary: 'Admins only. Delete a document: its original, chunks, keyword entries and vectors' } },
    );
}

/** The documents of the collections the request's principal may read. */
export async function readableDocuments(deps: AppDeps, request: Request) {
  const principal = principalOf(request);
  return (await deps.catalog.list()).filter((d) => deps.auth.canRead(principal, d.collection));
}
