import { Elysia } from 'elysia';
import { DocsPage, DocumentsSection } from '../../views/docs.tsx';
import type { AppDeps } from '../deps.ts';
import { AppError, notFound } from '../errors.ts';
import { uploadMessage } from './docs-api-routes.ts';
import { checkUpload, filesOf } from './upload.ts';

const HTML_TYPE = 'text/html; charset=utf-8';

/** The /docs page and its hypermedia endpoints. */
export function docsPageRoutes(deps: AppDeps) {
  const { ingestion, catalog, config } = deps;
  return new Elysia()
    .get('/docs', async ({ set }) => {
      set.headers['content-type'] = HTML_TYPE;
      return (
        <DocsPage
          documents={await catalog.list()}
          maxBytes={config.uploads.maxBytes}
          allowedExtensions={config.uploads.allowedExtensions}
        />
      );
    })
    .post('/docs/upload', async ({ body, set }) => {
      // Several files at once: each gets its own line saying what happened; one refusal does not
      // stop the others.
      const notices: { message: string; kind: 'error' | 'info' }[] = [];
      const files = filesOf(body);
      if (files.length === 0) notices.push({ message: 'Choose a file to upload.', kind: 'error' });
      for (const file of files) {
        try {
          const { key, bytes } = await checkUpload(file, config.uploads);
          const result = await ingestion.ingestFile(key, bytes, { dedupe: true });
          notices.push({ message: uploadMessage(result), kind: result.outcome === 'empty' ? 'error' : 'info' });
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error;
          notices.push({ message: error.message, kind: 'error' });
        }
      }
      set.headers['content-type'] = HTML_TYPE;
      if (notices.every((n) => n.kind === 'error')) set.status = 400;
      return <DocumentsSection documents={await catalog.list()} notices={notices} />;
    })
    .delete('/docs/:id', async ({ params, set }) => {
      if (!(await ingestion.remove(params.id))) throw notFound('That document');
      set.headers['content-type'] = HTML_TYPE;
      return '';
    });
}
