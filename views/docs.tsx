import Html from '@kitajs/html';
import type { Collection, DocumentRecord } from '../src/domain.ts';
import { Notice, type NoticeKind } from './chat.tsx';
import { AppShell, type ShellData, TextCell } from './shell.tsx';

export interface DocsPageProps {
  shell: ShellData;
  /** Admins upload and delete; everyone else only reads the list of what they may read. */
  canManage: boolean;
  collections: Collection[];
  documents: DocumentRecord[];
  maxBytes: number;
  allowedExtensions: string[];
}

/** The documents page: upload (with progress, see assets/app.js), list, delete. */
export function DocsPage(p: DocsPageProps): JSX.Element {
  return (
    <AppShell {...p.shell} title="Documents" heading="Documents" section="docs">
      <div class="page">
        {p.canManage ? (
          <form id="upload-form" class="upload panel" action="/docs/upload" method="post" enctype="multipart/form-data">
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
            <progress id="upload-progress" max="100" value="0" hidden aria-label="Upload progress"></progress>
            <p class="help" safe>
              {`${p.allowedExtensions.join(', ')} files up to ${Math.round(p.maxBytes / 1024 / 1024)} MB. The same file again changes nothing; a new version of a file replaces the old one.`}
            </p>
          </form>
        ) : (
          ''
        )}
        <DocumentsSection documents={p.documents} canManage={p.canManage} />
      </div>
    </AppShell>
  );
}

/** The list, with the outcome of the last uploads above it; the upload answer replaces it whole. */
export function DocumentsSection({
  documents,
  notices = [],
  canManage = false,
}: {
  documents: DocumentRecord[];
  notices?: { message: string; kind: NoticeKind }[];
  canManage?: boolean;
}): JSX.Element {
  return (
    <section id="documents" class="documents" aria-label="Documents">
      {notices.map((n) => (
        <Notice message={n.message} kind={n.kind} />
      ))}
      {documents.length === 0 ? (
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
                <TextCell class="title-cell" label="Title" text={d.title} />
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
