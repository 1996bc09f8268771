import Html from '@kitajs/html';
import type { DocumentFilter } from '../src/docs/document-filter.ts';
import type { Collection, DocumentRecord } from '../src/domain.ts';
import { originalUrl } from '../src/rag/rag-orchestrator.ts';
import { Notice, type NoticeKind } from './chat.tsx';
import { AppShell, type ShellData, TextCell } from './shell.tsx';

export interface DocsPageProps {
  shell: ShellData;
  /** Admins upload and delete; everyone else only reads the list of what they may read. */
  canManage: boolean;
  collections: Collection[];
  documents: DocumentRecord[];
  filter: DocumentFilter;
  maxBytes: number;
  allowedExtensions: string[];
}

const SORT_LABELS: Record<DocumentFilter['sort'], string> = {
  title: 'Title, A to Z',
  updated: 'Recently updated',
  source: 'File name',
  chunks: 'Most chunks',
};

/**
 * The documents page: upload by dropping files or choosing them (each file with its own progress
 * and outcome, see assets/app.js), then a list to filter, sort, open and delete.
 */
export function DocsPage(p: DocsPageProps): JSX.Element {
  return (
    <AppShell {...p.shell} title="Documents" heading="Documents" section="docs">
      <div class="page">
        {p.canManage ? (
          <form
            id="upload-form"
            class="upload panel dropzone"
            action="/docs/upload"
            method="post"
            enctype="multipart/form-data"
            data-drop-upload
          >
            <p class="dropzone-hint">
              <strong>Drop files here</strong> or choose them: several at once is fine.
            </p>
            <div class="upload-row">
              <div class="field grow">
                <label for="upload-file">Add documents</label>
                <input
                  id="upload-file"
                  type="file"
                  name="file"
                  multiple
                  required
                  accept={p.allowedExtensions.join(',')}
                />
              </div>
              {p.collections.length > 1 ? (
                <div class="field">
                  <label for="upload-collection">Collection</label>
                  <select id="upload-collection" name="collection">
                    {p.collections.map((c) => (
                      <option value={c.id} selected={c.id === 'general'}>
                        {Html.escapeHtml(c.name)}
                      </option>
                    ))}
                  </select>
                </div>
              ) : (
                ''
              )}
              <button type="submit" class="button primary">
                Upload
              </button>
            </div>
            <p class="help" safe>
              {`${p.allowedExtensions.join(', ')} files up to ${Math.round(p.maxBytes / 1024 / 1024)} MB. The same file again changes nothing; a new version of a file replaces the old one.`}
            </p>
            <UploadQueue />
          </form>
        ) : (
          ''
        )}
        <section class="panel" aria-labelledby="list-heading">
          <h2 id="list-heading">Your documents</h2>
          <form
            id="doc-filter"
            class="filters"
            aria-label="Filter the documents"
            action="/docs"
            method="get"
            hx-get="/docs"
            hx-target="#documents"
            hx-swap="outerHTML"
            hx-trigger="input changed delay:250ms, change, submit"
            hx-push-url="true"
          >
            <div class="field grow">
              <label for="doc-q">Filter by name</label>
              <input
                id="doc-q"
                name="q"
                type="search"
                value={p.filter.q}
                maxlength="200"
                placeholder="Title or file name"
                autocomplete="off"
              />
            </div>
            {p.collections.length > 1 ? (
              <div class="field">
                <label for="doc-collection">Collection</label>
                <select id="doc-collection" name="collection">
                  <option value="">All collections</option>
                  {p.collections.map((c) => (
                    <option value={c.id} selected={c.id === p.filter.collection}>
                      {Html.escapeHtml(c.name)}
                    </option>
                  ))}
                </select>
              </div>
            ) : (
              ''
            )}
            <div class="field">
              <label for="doc-sort">Sort</label>
              <select id="doc-sort" name="sort">
                {Object.entries(SORT_LABELS).map(([value, label]) => (
                  <option value={value} selected={value === p.filter.sort} safe>
                    {label}
                  </option>
                ))}
              </select>
            </div>
            <noscript>
              <button type="submit" class="button">
                Apply
              </button>
            </noscript>
          </form>
          <DocumentsSection documents={p.documents} canManage={p.canManage} filtered={isFiltered(p.filter)} />
        </section>
      </div>
    </AppShell>
  );
}

export const isFiltered = (f: DocumentFilter) => f.q !== '' || f.collection !== '';

/**
 * Files being uploaded, one line each with its progress, then its outcome (filled by
 * assets/app.js). Announced politely, so a screen reader hears each outcome once.
 */
export function UploadQueue(): JSX.Element {
  return <ul id="upload-queue" class="upload-queue" aria-live="polite" aria-label="Uploads"></ul>;
}

/** The list, with the outcome of the last uploads above it; the upload answer replaces it whole. */
export function DocumentsSection({
  documents,
  notices = [],
  canManage = false,
  filtered = false,
}: {
  documents: DocumentRecord[];
  notices?: { message: string; kind: NoticeKind }[];
  canManage?: boolean;
  /** A filter is on: an empty list says that nothing matches, not that there is nothing. */
  filtered?: boolean;
}): JSX.Element {
  return (
    <section id="documents" class="documents" aria-label="Documents">
      {notices.map((n) => (
        <Notice message={n.message} kind={n.kind} />
      ))}
      {documents.length === 0 && filtered ? (
        <div class="empty">
          <h2>No document matches</h2>
          <p>Try fewer words, or all collections.</p>
        </div>
      ) : documents.length === 0 ? (
        <div class="empty">
          <h2>No documents yet</h2>
          <p>{canManage ? 'Upload Markdown, text, HTML, PDF or Word files above.' : 'An admin adds them.'}</p>
        </div>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th>Title</th>
              <th>Source</th>
              <th>Collection</th>
              <th class="num">Chunks</th>
              <th>Updated</th>
              {canManage ? (
                <th>
                  <span class="visually-hidden">Actions</span>
                </th>
              ) : (
                ''
              )}
            </tr>
          </thead>
          <tbody>
            {documents.map((d) => (
              <tr id={`doc-${d.id}`}>
                <td class="title-cell" data-label="Title">
                  <a href={originalUrl(d.id, '')} target="_blank" rel="noopener" title="Open the original" safe>
                    {d.title}
                  </a>{' '}
                  <LanguageBadge code={d.language ?? ''} />
                </td>
                <TextCell class="path" label="Source" text={d.source} />
                <TextCell label="Collection" text={d.collection} />
                <TextCell class="num" label="Chunks" text={String(d.chunkCount)} />
                <TextCell class="nowrap" label="Updated" text={d.updatedAt.slice(0, 16).replace('T', ' ')} />
                {canManage ? (
                  <td class="actions">
                    <button
                      type="button"
                      class="button danger small doc-delete"
                      hx-delete={`/docs/${d.id}`}
                      hx-confirm={`Delete ${d.source}? Its chunks and vectors go too.`}
                      hx-target="closest tr"
                      hx-swap="delete"
                      aria-label={`Delete ${d.source}`}
                    >
                      Delete
                    </button>
                  </td>
                ) : (
                  ''
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * The language detected in a document at ingestion (src/search/language.ts), as its code with the
 * language's name for a tooltip, beside the title (a column of its own made the table too wide);
 * nothing for documents indexed before detection.
 */
function LanguageBadge({ code }: { code: string }): JSX.Element | string {
  if (!code) return '';
  let name = code;
  try {
    name = new Intl.DisplayNames(['en'], { type: 'language' }).of(code) ?? code;
  } catch {
    // A code Intl does not know is shown as it is.
  }
  return (
    <abbr class="badge language" lang={code} title={name} safe>
      {code}
    </abbr>
  );
}
