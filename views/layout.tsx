import type { Children } from '@kitajs/html';

export interface LayoutProps {
  title: string;
  children?: Children;
}

/** The HTML shell: styles, htmx and its SSE extension, all served from /assets (no CDN). */
export function Layout({ title, children }: LayoutProps): JSX.Element {
  return (
    <>
      {'<!doctype html>'}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1, interactive-widget=resizes-content" />
          <meta name="color-scheme" content="light dark" />
          <title safe>{title}</title>
          <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
          <link rel="stylesheet" href="/assets/app.css" />
          <script src="/assets/vendor/htmx.min.js" defer></script>
          <script src="/assets/vendor/hx-sse.min.js" defer></script>
          <script src="/assets/app.js" defer></script>
          <script src="/assets/conversation-tools.js" defer></script>
        </head>
        <body>{children as 'safe'}</body>
      </html>
    </>
  );
}
