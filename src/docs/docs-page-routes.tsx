import { Elysia } from 'elysia';
import type { NoticeKind } from '../../views/chat.tsx';
import { DocsPage, DocumentsSection, isFiltered } from '../../views/docs.tsx';
import { renderOriginal } from '../../views/markdown.ts';
import { OriginalPage } from '../../views/original.tsx';
import { principalOf, requireAdmin } from '../auth/request-auth.ts';
import type { AppDeps } from '../deps.ts';
import { AppError, notFoundSaying } from '../errors.ts';
import { errorText, t } from '../i18n/request-locale.ts';
import { say } from '../i18n/translator.ts';
import type { IngestResult } from '../rag/ingestion.ts';
import { decodeText } from '../rag/loaders/normalize.ts';
import { shellData } from '../shell-data.ts';
import { readableDocuments, uploadCollection, uploadMessage } from './docs-api-routes.ts';
import { filterDocuments, parseDocumentFilter } from './document-filter.ts';
import { checkUpload, filesOf } from './upload.ts';

const HTML_TYPE = 'text/html; charset=utf-8';

/** How an original is shown: text formats as text (Markdown source included), the rest as themselves. */
function originalContentType(name: string): string {
  const extension = name.slice(name.lastIndexOf('.')).toLowerCase();
  switch (extension) {
    case '.pdf':
      return 'application/pdf';
    case '.docx':
      return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    case '.html':
    case '.htm':
      return 'text/html; charset=utf-8';
    default:
      return 'text/plain; charset=utf-8';
  }
}

/** How each upload outcome reads: new text is good news; the same bytes again is only a remark. */
const UPLOAD_NOTICE: Record<IngestResult['outcome'], NoticeKind> = {
  added: 'success',
  updated: 'success',
  unchanged: 'info',
  empty: 'error',
};

/** Markdown and Word originals as sanitised HTML with heading anchors; null for other formats. */
async function originalHtml(name: string, bytes: Uint8Array): Promise<string | null> {
  const extension = name.slice(name.lastIndexOf('.')).toLowerCase();
  if (extension === '.md' || extension === '.markdown') {
    return renderOriginal({ markdown: decodeText(name, bytes).replace(/\r\n?/g, '\n') });
  }
  if (extension === '.docx') {
    // Imported here: the binary's start stays lean (mammoth and JSZip load at the first use).
    const { docxToHtml } = await import('../rag/loaders/docx-loader.ts');
    return renderOriginal({ html: await docxToHtml(name, bytes) });
  }
  return null;
}

/** The /docs page and its hypermedia endpoints. */
export function docsPageRoutes(deps: AppDeps) {
  const { ingestion, catalog, config, auth } = deps;
  return new Elysia()
    .get('/docs', async ({ request, query, set }) => {
      const principal = principalOf(request);
      const filter = parseDocumentFilter(query);
      const documents = filterDocuments(await readableDocuments(deps, request), filter);
      const canManage = principal.user.role === 'admin';
      set.headers['content-type'] = HTML_TYPE;
      // The filter form asks for the list only (htmx); a link or a reload gets the whole page.
      if (request.headers.get('hx-request')) {
        return <DocumentsSection documents={documents} canManage={canManage} filtered={isFiltered(filter)} />;
      }
      return (
        <DocsPage
          shell={await shellData(deps, principal)}
          canManage={canManage}
          collections={await auth.listCollections()}
          documents={documents}
          filter={filter}
          maxBytes={config.uploads.maxBytes}
          allowedExtensions={config.uploads.allowedExtensions}
        />
      );
    })
    .post('/docs/upload', async ({ body, request, set }) => {
      const principal = principalOf(request);
      requireAdmin(principal);
      // Several files at once: each gets its own line saying what happened; one refusal does not
      // stop the others.
      const notices: { message: string; kind: NoticeKind }[] = [];
      const files = filesOf(body);
      if (files.length === 0) notices.push({ message: t('docs.chooseFile'), kind: 'error' });
      const collection = await uploadCollection(body, auth);
      for (const file of files) {
        try {
          const { key, bytes, contentType } = await checkUpload(file, config.uploads, collection);
          const result = await ingestion.ingestFile(key, bytes, { dedupe: true, contentType, collection });
          await auth.audit(principal, 'document.upload', `document:${key}`, { collection, outcome: result.outcome });
          const said = uploadMessage(result);
          notices.push({ message: t(said.key, said.params), kind: UPLOAD_NOTICE[result.outcome] });
        } catch (error) {
          if (!(error instanceof AppError) || error.status >= 500) throw error;
          notices.push({ message: errorText(error), kind: 'error' });
        }
      }
      set.headers['content-type'] = HTML_TYPE;
      if (notices.every((n) => n.kind === 'error')) set.status = 400;
      return <DocumentsSection documents={await catalog.list()} notices={notices} canManage />;
    })
    .get('/docs/:id/original', async ({ params, query, request, set }) => {
      const found = await catalog.get(params.id);
      // A document of a collection the user may not read does not exist, as far as they can tell.
      const record = found && auth.canRead(principalOf(request), found.collection) ? found : null;
      const bytes = record ? await deps.documents.get(record.source) : null;
      if (!record || !bytes) throw notFoundSaying(say('error.document.notFound'));
      const name = record.source.split('/').at(-1) ?? 'document';
      // Markdown and Word are shown as a page of ours (sanitised, an anchor per heading), so a
      // citation opens at its section; `?raw` (and every other format) is the file itself.
      const html = query.raw === undefined ? await originalHtml(name, bytes) : null;
      if (html !== null) {
        set.headers['content-type'] = HTML_TYPE;
        set.headers['cache-control'] = 'private, max-age=60';
        return (
          <OriginalPage
            title={record.title}
            source={record.source}
            html={html}
            rawHref={`/docs/${encodeURIComponent(record.id)}/original?raw`}
          />
        );
      }
      return new Response(bytes as Uint8Array<ArrayBuffer>, {
        headers: {
          'content-type': originalContentType(name),
          // Said up front: a large original gets longer to be sent (http/connection-limits.ts).
          'content-length': String(bytes.byteLength),
          'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(name)}`,
          // An original is the user's file, not our page: never run its scripts or let it act as us.
          // HTML may not even load images or styles from elsewhere (that would tell a third party
          // who read it); a PDF needs the browser's viewer, which a default-src rule would block.
          'content-security-policy': /^text\/html/.test(originalContentType(name))
            ? "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"
            : 'sandbox',
          'x-content-type-options': 'nosniff',
          'cache-control': 'private, max-age=60',
        },
      });
    })
    .delete('/docs/:id', async ({ params, request, set }) => {
      const principal = principalOf(request);
      requireAdmin(principal);
      const removed = await ingestion.remove(params.id);
      if (!removed) throw notFoundSaying(say('error.document.notFound'));
      await auth.audit(principal, 'document.delete', `document:${removed.source}`, { collection: removed.collection });
      set.headers['content-type'] = HTML_TYPE;
      return '';
    });
}
