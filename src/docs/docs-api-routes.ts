import { Elysia } from 'elysia';
import type { AppDeps } from '../deps.ts';
import { badInput, notFound } from '../errors.ts';
import { type IngestResult, REINDEX_PENDING } from '../rag/ingestion.ts';
import { checkUpload, filesOf } from './upload.ts';

/** What a person reads about one upload. */
export function uploadMessage(r: IngestResult): string {
  const chunks = `${r.chunks} chunk${r.chunks === 1 ? '' : 's'}`;
  switch (r.outcome) {
    case 'added':
      return `Added "${r.title}" (${chunks}).`;
    case 'updated':
      return `Replaced the previous version of "${r.title}" (${chunks}).`;
    case 'unchanged':
      return `Nothing to do: these exact bytes are already indexed as ${r.duplicateOf}.`;
    case 'empty':
      return `"${r.title}" has no text to index.`;
  }
}

/** JSON API for documents: upload, list, delete. */
export function docsApiRoutes(deps: AppDeps) {
  const { ingestion, catalog, config } = deps;
  return new Elysia({ prefix: '/api/docs' })
    .post(
      '/upload',
      async ({ body, set }) => {
        const files = filesOf(body);
        if (files.length !== 1) throw badInput('Send exactly one file, as the multipart form field "file".');
        const { key, bytes, contentType } = await checkUpload(files[0], config.uploads);
        const result = await ingestion.ingestFile(key, bytes, { dedupe: true, contentType });
        if (result.outcome === 'empty') {
          set.status = 422;
          return { error: { code: 'no_text', message: uploadMessage(result) } };
        }
        set.status = result.outcome === 'added' ? 201 : 200;
        return {
          id: result.id,
          source: result.source,
          title: result.title,
          chunks: result.chunks,
          status: result.outcome,
          message: uploadMessage(result),
        };
      },
      {
        detail: {
          summary: 'Upload and ingest a document',
          description:
            'Multipart form with one `file`. 201 when added; 200 when it replaced an earlier version of the same name ' +
            '(`updated`) or when the same bytes are already indexed (`unchanged`, a no-op). 413, 415 or 422 say why a file was refused.',
        },
      },
    )
    .get(
      '',
      async () => ({
        documents: (await catalog.list()).map((d) => ({
          id: d.id,
          source: d.source,
          title: d.title,
          chunks: d.chunkCount,
          contentHash: d.contentHash,
          updatedAt: d.updatedAt,
          // `reindex-pending`: the index was dropped by --reindex and this one is not rebuilt yet.
          status: d.contentHash === REINDEX_PENDING ? 'reindex-pending' : 'indexed',
        })),
      }),
      { detail: { summary: 'List documents with their chunk counts' } },
    )
    .delete(
      '/:id',
      async ({ params, set }) => {
        const removed = await ingestion.remove(params.id);
        if (!removed) throw notFound('That document');
        set.status = 204;
        return '';
      },
      { detail: { summary: 'Delete a document: its original, chunks, keyword entries and vectors' } },
    );
}
