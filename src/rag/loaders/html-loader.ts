import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { Section } from '../chunker.ts';
import { fromArray, type LoadedDocument } from './loaded-document.ts';
import { decodeText, normalizeText } from './normalize.ts';

/**
 * HTML: the page's main content (Mozilla Readability, as Firefox's reader view), without
 * navigation, headers, footers or scripts; split into sections at its h1–h6 headings.
 */
export function loadHtml(file: string, bytes: Uint8Array, fallbackTitle: string): LoadedDocument {
  return htmlToDocument(decodeText(file, bytes), fallbackTitle, 'html');
}

export function htmlToDocument(html: string, fallbackTitle: string, format: 'html' | 'docx'): LoadedDocument {
  const { document } = parseHTML(html.includes('<html') ? html : `<!doctype html><html><body>${html}</body></html>`);
  const pageTitle = document.querySelector('title')?.textContent?.trim() ?? '';
  let main: Element | null = null;
  let title = pageTitle;
  // Readability's cost grows steeply with nesting depth (thousands of nested <div>s take minutes on
  // the one thread that also serves chats); past a sane depth, fall back to the plain body.
  if (format === 'html' && depthOf(document.body as unknown as Element) <= MAX_READABILITY_DEPTH) {
    const article = new Readability(document.cloneNode(true) as unknown as Document, {
      charThreshold: 200,
      maxElemsToParse: 20_000,
    }).parse();
    if (article?.content) {
      main = parseHTML(`<!doctype html><html><body>${article.content}</body></html>`).document
        .body as unknown as Element;
      title = article.title?.trim() || pageTitle;
    }
  }
  if (!main) {
    main = document.body as unknown as Element;
    for (const el of main.querySelectorAll('script, style, noscript, nav, header, footer, aside, form, template'))
      el.remove();
  }
  const h1 = main.querySelector('h1')?.textContent?.trim();
  return { title: title || h1 || fallbackTitle, format, sections: fromArray(sectionsOf(main, title || h1 || '')) };
}

const MAX_READABILITY_DEPTH = 120;

/** The deepest element nesting under `root`, walked without recursion. */
function depthOf(root: Element): number {
  let deepest = 0;
  const stack: [Element, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [el, depth] = stack.pop() as [Element, number];
    if (depth > deepest) deepest = depth;
    if (deepest > MAX_READABILITY_DEPTH) return deepest;
    for (const child of Array.from(el.children)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const BLOCKS = new Set(['P', 'LI', 'PRE', 'BLOCKQUOTE', 'TD', 'TH', 'DT', 'DD', 'FIGCAPTION', 'CAPTION']);

/** Walks the content in document order: headings open sections, block elements add paragraphs. */
function sectionsOf(root: Element, title: string): Section[] {
  const sections: Section[] = [];
  const stack: { level: number; text: string }[] = [];
  let paragraphs: string[] = [];
  const flush = () => {
    const text = normalizeText(paragraphs.join('\n\n'));
    if (text) sections.push({ headings: stack.map((h) => h.text), text });
    paragraphs = [];
  };
  const visit = (el: Element, depth = 0) => {
    // Deeper than any real page: take the text as it is rather than recurse further.
    if (depth > 400) {
      const text = (el.textContent ?? '').trim();
      if (text) paragraphs.push(text);
      return;
    }
    for (const child of Array.from(el.children)) {
      const heading = /^H([1-6])$/.exec(child.tagName);
      if (heading) {
        flush();
        const level = Number(heading[1]);
        const text = normalizeText(child.textContent ?? '').replace(/\n/g, ' ');
        if (level === 1 && text === title && sections.length === 0 && stack.length === 0) continue;
        while (stack.length > 0 && (stack[stack.length - 1] as { level: number }).level >= level) stack.pop();
        if (text) stack.push({ level, text });
      } else if (BLOCKS.has(child.tagName)) {
        const text = (child.textContent ?? '').trim();
        if (text) paragraphs.push(child.tagName === 'LI' ? `- ${text}` : text);
      } else {
        visit(child, depth + 1);
      }
    }
  };
  visit(root);
  // Text directly inside containers (no <p>) is not lost.
  if (sections.length === 0 && paragraphs.length === 0) paragraphs.push(root.textContent ?? '');
  flush();
  return sections;
}
