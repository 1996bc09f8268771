import { Elysia } from 'elysia';
import { requireAdmin } from '../auth/auth-service.ts';
import type { AppDeps } from '../deps.ts';
import { badInput } from '../errors.ts';
import { uploadBodyLimit } from '../http/body-limit.ts';
import { routeRules } from '../http/route-rules.ts';
import { REINDEX_PENDING } from '../rag/ingestion.ts';
import { filterDocuments, parseDocumentFilter } from './document-filter.ts';
import { filesOf } from './upload.ts';

/** JSON API for documents: upload and delete (admins), list (what the caller may read). */
export function docsApiRoutes(deps: AppDeps) {
  const { documentsService: documents, config } = deps;
  return new Elysia({ name: 'docs-api-routes', prefix: '/api/docs' })
    .use(routeRules(deps))
    .post(
      '/upload',
      async ({ principal, body, set }) => {
        requireAdmin(principal);
        const files = filesOf(body);
        if (files.length !== 1) throw badInput('Send exactly one file, as the multipart form field "file".');
        const collection = await documents.collectionFor((body as Record<string, unknown> | null)?.collection);
        const result = await documents.upload(principal, files[0] as File, collection);
        if (result.outcome === 'empty') {
          set.status = 422;
          return { error: { code: 'no_text', message: result.message.text } };
        }
        set.status = result.outcome === 'added' ? 201 : 200;
        return {
          id: result.id,
          source: result.source,
          title: result.title,
          chunks: result.chunks,
          collection,
          status: result.outcome,
          message: result.message.text,
        };
      },
      {
        rateLimit: 'upload',
        bodyLimit: uploadBodyLimit(config.uploads.maxBytes),
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
      async ({ principal, query }) => ({
        documents: filterDocuments(await documents.readableBy(principal), parseDocumentFilter(query)).map((d) => ({
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
      async ({ principal, params, set }) => {
        await documents.remove(principal, params.id);
        set.status = 204;
        return '';
      },
      { detail: { summary: 'Admins only. Delete a document: its original, chunks, keyword entries and vectors' } },
    );
}
