import Html from '@kitajs/html';
import type { Collection, DocumentRecord } from '../src/domain.ts';
import { Notice } from './chat.tsx';
import { Layout, PageHeader } from './layout.tsx';

export interface DocsPageProps {
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
    <Layout title="Documents · ragchat">
      <main class="docs-page">
        <PageHeader title="Documents" />
        {p.canManage ? (
          <form id="upload-form" class="upload" action="/docs/upload" method="post" enctype="multipart/form-data">
            <label for="upload-file">Add documents</label>
            <input id="upload-file" type="file" name="file" multiple required accept={p.allowedExtensions.join(',')} />
            {p.collections.length > 1 ? (
              <select name="collection" aria-label="Collection">
                {p.collections.map((c) => (
                  <option value={c.id} selected={c.id === 'general'}>
                    {Html.escapeHtml(c.name)}
                  </option>
                ))}
              </select>
            ) : (
              ''
            )}
            <button type="submit">Upload</button>
            <progress id="upload-progress" max="100" value="0" hidden></progress>
            <p class="hint" safe>
              {`${p.allowedExtensions.join(', ')} files up to ${Math.round(p.maxBytes / 1024 / 1024)} MB. The same file again changes nothing; a new version of a file replaces the old one.`}
            </p>
          </form>
        ) : (
          ''
        )}
        <DocumentsSection documents={p.documents} canManage={p.canManage} />
      </main>
    </Layout>
  );
}

/** The list, with the outcome of the last uploads above it; the upload answer replaces it whole. */
export function DocumentsSection({
  documents,
  notices = [],
  canManage = false,
}: {
  documents: DocumentRecord[];
  notices?: { message: string; kind: 'error' | 'info' }[];
  canManage?: boolean;
}): JSX.Element {
  return (
    <section id="documents" class="documents" aria-live="polite">
      {notices.map((n) => (
        <Notice message={n.message} kind={n.kind} />
      ))}
      {documents.length === 0 ? (
        <p class="empty-list">No documents yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Title</th>
              <th>Source</th>
              <th>Collection</th>
              <th class="num">Chunks</th>
              <th>Updated</th>
              <th>
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {documents.map((d) => (
              <tr id={`doc-${d.id}`}>
                <td safe>{d.title}</td>
                <td class="path" safe>
                  {d.source}
                </td>
                <td safe>{d.collection}</td>
                <td class="num" safe>
                  {String(d.chunkCount)}
                </td>
                <td safe>{d.updatedAt.slice(0, 16).replace('T', ' ')}</td>
                <td>
                  {canManage ? (
                    <button
                      type="button"
                      class="doc-delete"
                      hx-delete={`/docs/${d.id}`}
                      hx-confirm={`Delete ${d.source}? Its chunks and vectors go too.`}
                      hx-target="closest tr"
                      hx-swap="delete"
                      aria-label={`Delete ${d.source}`}
                    >
                      Delete
                    </button>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
