import Html from '@kitajs/html';
import type { DocumentFilter } from '../src/docs/document-filter.ts';
import type { Collection, DocumentRecord } from '../src/domain.ts';
import { t, tr } from '../src/i18n/request-locale.ts';
import type { MessageKey } from '../src/i18n/translator.ts';
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

const SORT_LABELS: Record<DocumentFilter['sort'], MessageKey> = {
  title: 'docs.sort.title',
  updated: 'docs.sort.updated',
  source: 'docs.sort.source',
  chunks: 'docs.sort.chunks',
};

/**
 * The documents page: upload by dropping files or choosing them (each file with its own progress
 * and outcome, see assets/app.js), then a list to filter, sort, open and delete.
 */
export function DocsPage(p: DocsPageProps): JSX.Element {
  return (
    <AppShell {...p.shell} title={t('docs.title')} heading={t('docs.title')} section="docs">
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
              <strong safe>{t('docs.dropStrong')}</strong> {Html.escapeHtml(t('docs.dropRest'))}
            </p>
            <div class="upload-row">
              <div class="field grow">
                <label for="upload-file" safe>
                  {t('docs.add')}
                </label>
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
                  <label for="upload-collection" safe>
                    {t('docs.collection')}
                  </label>
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
              <button type="submit" class="button primary" safe>
                {t('docs.upload')}
              </button>
            </div>
            <p class="help" safe>
              {t('docs.uploadHelp', {
                types: p.allowedExtensions.join(', '),
                megabytes: Math.round(p.maxBytes / 1024 / 1024),
              })}
            </p>
            <UploadQueue />
          </form>
        ) : (
          ''
        )}
        <section class="panel" aria-labelledby="list-heading">
          <h2 id="list-heading" safe>
            {t('docs.yours')}
          </h2>
          <form
            id="doc-filter"
            class="filters"
            aria-label={t('docs.filterLabel')}
            action="/docs"
            method="get"
            hx-get="/docs"
            hx-target="#documents"
            hx-swap="outerHTML"
            hx-trigger="input changed delay:250ms, change, submit"
            hx-push-url="true"
          >
            <div class="field grow">
              <label for="doc-q" safe>
                {t('docs.filterByName')}
              </label>
              <input
                id="doc-q"
                name="q"
                type="search"
                value={p.filter.q}
                maxlength="200"
                placeholder={t('docs.filterPlaceholder')}
                autocomplete="off"
              />
            </div>
            {p.collections.length > 1 ? (
              <div class="field">
                <label for="doc-collection" safe>
                  {t('docs.collection')}
                </label>
                <select id="doc-collection" name="collection">
                  <option value="" safe>
                    {t('docs.allCollections')}
                  </option>
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
              <label for="doc-sort" safe>
                {t('docs.sort')}
              </label>
              <select id="doc-sort" name="sort">
                {Object.entries(SORT_LABELS).map(([value, label]) => (
                  <option value={value} selected={value === p.filter.sort} safe>
                    {t(label)}
                  </option>
                ))}
              </select>
            </div>
            <noscript>
              <button type="submit" class="button" safe>
                {t('shell.apply')}
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
  return <ul id="upload-queue" class="upload-queue" aria-live="polite" aria-label={t('docs.uploads')}></ul>;
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
    <section id="documents" class="documents" aria-label={t('docs.title')}>
      {notices.map((n) => (
        <Notice message={n.message} kind={n.kind} />
      ))}
      {documents.length === 0 && filtered ? (
        <div class="empty">
          <h2 safe>{t('docs.noMatch')}</h2>
          <p safe>{t('docs.noMatchHelp')}</p>
        </div>
      ) : documents.length === 0 ? (
        <div class="empty">
          <h2 safe>{t('docs.none')}</h2>
          <p safe>{canManage ? t('docs.noneManage') : t('docs.noneRead')}</p>
        </div>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th safe>{t('docs.column.title')}</th>
              <th safe>{t('docs.column.source')}</th>
              <th safe>{t('docs.column.collection')}</th>
              <th class="num" safe>
                {t('docs.column.chunks')}
              </th>
              <th safe>{t('docs.column.updated')}</th>
              {canManage ? (
                <th>
                  <span class="visually-hidden" safe>
                    {t('docs.actions')}
                  </span>
                </th>
              ) : (
                ''
              )}
            </tr>
          </thead>
          <tbody>
            {documents.map((d) => (
              <tr id={`doc-${d.id}`}>
                <td class="title-cell" data-label={t('docs.column.title')}>
                  <a href={originalUrl(d.id, '')} target="_blank" rel="noopener" title={t('docs.open')} safe>
                    {d.title}
                  </a>{' '}
                  <LanguageBadge code={d.language ?? ''} />
                </td>
                <TextCell class="path" label={t('docs.column.source')} text={d.source} />
                <TextCell label={t('docs.column.collection')} text={d.collection} />
                <TextCell class="num" label={t('docs.column.chunks')} text={tr().number(d.chunkCount)} />
                <TextCell class="nowrap" label={t('docs.column.updated')} text={tr().dateTime(d.updatedAt)} />
                {canManage ? (
                  <td class="actions">
                    <button
                      type="button"
                      class="button danger small doc-delete"
                      hx-delete={`/docs/${d.id}`}
                      hx-confirm={t('docs.deleteConfirm', { source: d.source })}
                      hx-target="closest tr"
                      hx-swap="delete"
                      aria-label={t('docs.deleteLabel', { source: d.source })}
                      safe
                    >
                      {t('docs.delete')}
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
