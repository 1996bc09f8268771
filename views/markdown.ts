import Html from '@kitajs/html';
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

/**
 * Answers are Markdown from a model (or quoted from documents): rendered by a parser, then passed
 * through an allowlist sanitiser. Raw HTML in the text is not rendered, it is shown as text; only
 * http(s) links survive and they open in a new tab without a referrer. Citations `[n]` become
 * links to source n only when `citeHref(n)` knows it.
 */
const markdown = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  // Raw HTML in the text is text: escaped here, before the sanitiser ever sees it.
  renderer: { html: ({ text }: { text: string }) => Html.escapeHtml(text) },
});

const ALLOWED = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'em',
    'del',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'hr',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
    'a',
  ],
  allowedAttributes: { a: ['href', 'title'], th: ['align'], td: ['align'], ol: ['start'] },
  allowedSchemes: ['http', 'https'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  // What is not allowed is shown escaped, so "<script>" in a document reads as text.
  disallowedTagsMode: 'recursiveEscape' as const,
  transformTags: {
    a: (tagName: string, attribs: Record<string, string>) => ({
      tagName,
      attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' },
    }),
  },
};

const CITE = /\u2063CITE(\d{1,3})\u2063/g;

export function renderMarkdown(text: string, citeHref: (n: number) => string | null): string {
  // Citations are swapped for a marker Markdown leaves alone, then linked after sanitising.
  const marked = text.replace(/\[(\d{1,3})\]/g, '\u2063CITE$1\u2063');
  const html = sanitizeHtml(markdown.parse(marked) as string, {
    ...ALLOWED,
    allowedAttributes: { ...ALLOWED.allowedAttributes, a: [...ALLOWED.allowedAttributes.a, 'target', 'rel'] },
  });
  return html.replace(CITE, (_m, n: string) => {
    const href = citeHref(Number(n));
    return href ? `<a class="cite" href="${href}">[${n}]</a>` : `[${n}]`;
  });
}
