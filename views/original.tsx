import { t } from '../src/i18n/request-locale.ts';
import { Layout } from './layout.tsx';

export interface OriginalPageProps {
  title: string;
  source: string;
  /** The document as sanitised HTML, one anchor per heading (views/markdown.ts renderOriginal). */
  html: string;
  /** The file itself, as it was uploaded. */
  rawHref: string;
}

/** A Markdown or Word original, shown as a page: citations open it at their section. */
export function OriginalPage(p: OriginalPageProps): JSX.Element {
  return (
    <Layout title={`${p.title} · ragchat`}>
      <div class="original-page">
        <header class="topbar original-bar">
          <a class="brand" href="/">
            ragchat
          </a>
          <span class="original-source" safe>
            {p.source}
          </span>
          <a class="button small" href="/docs" safe>
            {t('shell.documents')}
          </a>
          <a class="button small" href={p.rawHref} download="" safe>
            {t('docs.download')}
          </a>
        </header>
        <main id="main" class="original prose">
          {p.html as 'safe'}
        </main>
      </div>
    </Layout>
  );
}
