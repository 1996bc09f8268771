import type { Children } from '@kitajs/html';
import { currentLocale, t } from '../src/i18n/request-locale.ts';
import type { MessageKey } from '../src/i18n/translator.ts';

export interface LayoutProps {
  title: string;
  children?: Children;
}

/** The sentences the page's own scripts write (assets/*.js), handed over in `<body data-strings>`. */
const CLIENT_STRINGS = {
  unreachable: 'client.unreachable',
  connectionLost: 'client.connectionLost',
  waiting: 'client.waiting',
  uploading: 'client.uploading',
  uploadingFile: 'client.uploadingFile',
  indexing: 'client.indexing',
  uploadFailed: 'client.uploadFailed',
  uploadUnreachable: 'client.uploadUnreachable',
  copy: 'tools.copy',
  copied: 'tools.copied',
  copyFailed: 'tools.copyFailed',
} as const satisfies Record<string, MessageKey>;

/** The client's sentences as JSON: a data attribute, since the policy allows no inline script. */
export function clientStrings(): string {
  return JSON.stringify(Object.fromEntries(Object.entries(CLIENT_STRINGS).map(([name, key]) => [name, t(key)])));
}

/** The HTML shell: styles, htmx and its SSE extension, all served from /assets (no CDN). */
export function Layout({ title, children }: LayoutProps): JSX.Element {
  return (
    <>
      {'<!doctype html>'}
      <html lang={currentLocale()}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content" />
          <meta name="color-scheme" content="light dark" />
          <title safe>{title}</title>
          <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/assets/app.css" />
          <script src="/assets/vendor/htmx.min.js" defer></script>
          <script src="/assets/vendor/hx-sse.min.js" defer></script>
          <script src="/assets/strings.js" defer></script>
          <script src="/assets/app.js" defer></script>
          <script src="/assets/conversation-tools.js" defer></script>
        </head>
        <body data-strings={clientStrings()}>{children as 'safe'}</body>
      </html>
    </>
  );
}
