import { Elysia } from 'elysia';
import type { NoticeKind } from '../../views/chat.tsx';
import { DocsPage, DocumentsSection, isFiltered } from '../../views/docs.tsx';
import { renderOriginal } from '../../views/markdown.ts';
import { OriginalPage } from '../../views/original.tsx';
import { requireAdmin } from '../auth/auth-service.ts';
import type { AppDeps } from '../deps.ts';
import { uploadBodyLimit } from '../http/body-limit.ts';
import { orRefusal } from '../http/error-responses.tsx';
import { routeRules } from '../http/route-rules.ts';
import { errorText, t } from '../i18n/request-locale.ts';
import type { IngestResult } from '../rag/ingestion.ts';
import { decodeText } from '../rag/loaders/normalize.ts';
import { shellData } from '../shell-data.ts';
import { filterDocuments, parseDocumentFilter } from './document-filter.ts';
import { filesOf } from './upload.ts';

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
  const { documentsService: documents, catalog, config, auth } = deps;
  return new Elysia({ name: 'docs-page-routes' })
    .use(routeRules(deps))
    .get('/docs', async ({ principal, request, query, set }) => {
      const filter = parseDocumentFilter(query);
      const shown = filterDocuments(await documents.readableBy(principal), filter);
      const canManage = principal.user.role === 'admin';
      set.headers['content-type'] = HTML_TYPE;
      // The filter form asks for the list only (htmx); a link or a reload gets the whole page.
      if (request.headers.get('hx-request')) {
        return <DocumentsSection documents={shown} canManage={canManage} filtered={isFiltered(filter)} />;
      }
      return (
        <DocsPage
          shell={await shellData(deps, principal)}
          canManage={canManage}
          collections={await auth.listCollections()}
          documents={shown}
          filter={filter}
          maxBytes={config.uploads.maxBytes}
          allowedExtensions={config.uploads.allowedExtensions}
        />
      );
    })
    .post(
      '/docs/upload',
      async ({ principal, body, set }) => {
        requireAdmin(principal);
        // Several files at once: each gets its own line saying what happened; one refusal does not
        // stop the others.
        const notices: { message: string; kind: NoticeKind }[] = [];
        const files = filesOf(body);
        if (files.length === 0) notices.push({ message: t('docs.chooseFile'), kind: 'error' });
        const collection = await documents.collectionFor((body as Record<string, unknown> | null)?.collection);
        for (const file of files) {
          const done = await orRefusal(() => documents.upload(principal, file as File, collection));
          notices.push(
            done.ok
              ? {
                  message: t(done.value.message.key, done.value.message.params),
                  kind: UPLOAD_NOTICE[done.value.outcome],
                }
              : { message: errorText(done.error), kind: 'error' },
          );
        }
        set.headers['content-type'] = HTML_TYPE;
        if (notices.every((n) => n.kind === 'error')) set.status = 400;
        return <DocumentsSection documents={await catalog.list()} notices={notices} canManage />;
      },
      { rateLimit: 'upload', bodyLimit: uploadBodyLimit(config.uploads.maxBytes) },
    )
    .get('/docs/:id/original', async ({ principal, params, query, set }) => {
      const { record, bytes } = await documents.original(principal, params.id);
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
    .delete('/docs/:id', async ({ principal, params, set }) => {
      await documents.remove(principal, params.id);
      set.headers['content-type'] = HTML_TYPE;
      return '';
    });
}
