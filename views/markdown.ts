import Html from '@kitajs/html';
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';
import { headingAnchor } from '../src/strings.ts';

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

/** Documents keep their paragraphs as written: a line break inside one is only wrapping. */
const documentMarkdown = new Marked({
  gfm: true,
  breaks: false,
  async: false,
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

/** Where a citation `[n]` links, the number shown for it, and the element that describes it. */
export interface CiteLink {
  href: string;
  label: number;
  /** The id of the passage's snippet: a screen reader reads it with the link. */
  describedBy?: string;
}

export function renderMarkdown(text: string, cite: (n: number) => CiteLink | string | null): string {
  // Citations are swapped for a marker Markdown leaves alone, then linked after sanitising.
  const marked = text.replace(/\[(\d{1,3})\]/g, '\u2063CITE$1\u2063');
  const html = sanitizeHtml(markdown.parse(marked) as string, {
    ...ALLOWED,
    allowedAttributes: { ...ALLOWED.allowedAttributes, a: [...ALLOWED.allowedAttributes.a, 'target', 'rel'] },
  });
  return html.replace(CITE, (_m, n: string) => {
    const found = cite(Number(n));
    if (!found) return `[${n}]`;
    const link = typeof found === 'string' ? { href: found, label: Number(n) } : found;
    const describedBy = link.describedBy ? ` aria-describedby="${Html.escapeHtml(link.describedBy)}"` : '';
    return `<a class="cite" href="${Html.escapeHtml(link.href)}"${describedBy}>[${link.label}]</a>`;
  });
}

/**
 * An original document as a page: Markdown parsed, or a Word document's HTML (from mammoth),
 * through the same allowlist as answers, so nothing in a document can run or load anything.
 * Every heading gets the anchor that citations link to (`headingAnchor`); repeated headings get
 * `-2`, `-3`, as the first one keeps the plain anchor a citation names.
 */
export async function renderOriginal(input: { markdown: string } | { html: string }): Promise<string> {
  const html = 'markdown' in input ? (documentMarkdown.parse(input.markdown) as string) : input.html;
  const clean = sanitizeHtml(html, ALLOWED);
  const { parseHTML } = await import('linkedom');
  const { document } = parseHTML(`<!doctype html><html><body>${clean}</body></html>`);
  const seen = new Map<string, number>();
  for (const heading of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const anchor = headingAnchor(heading.textContent ?? '');
    const count = (seen.get(anchor) ?? 0) + 1;
    seen.set(anchor, count);
    heading.setAttribute('id', count === 1 ? anchor : `${anchor}-${count}`);
  }
  return document.body.innerHTML;
}
