import { getDocumentProxy } from 'unpdf';
import { AppError } from '../../errors.ts';
import type { Section } from '../chunker.ts';
import type { LoadedDocument } from './loaded-document.ts';
import { normalizeText } from './normalize.ts';

/**
 * PDF through unpdf (pdf.js built for servers), one page at a time so that memory stays bounded:
 * each page is a section located "Page N", which citations link to (`#page=N`). A PDF with no
 * text layer (a scan) is refused as such rather than indexed empty.
 */
export async function loadPdf(
  file: string,
  bytes: Uint8Array,
  fallbackTitle: string,
  maxPages: number,
): Promise<LoadedDocument> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of the buffer it is given; hand it a copy.
    pdf = await getDocumentProxy(new Uint8Array(bytes));
  } catch (error) {
    const encrypted = /password/i.test(String((error as Error)?.message));
    throw new AppError(
      'unreadable',
      encrypted ? `${file} is password-protected; ragchat cannot read it.` : `${file} could not be read as a PDF.`,
      422,
      { cause: error },
    );
  }
  if (pdf.numPages > maxPages) {
    await pdf.loadingTask.destroy();
    throw new AppError(
      'too_many_pages',
      `${file} has ${pdf.numPages} pages; the limit is ${maxPages} (PDF_MAX_PAGES).`,
      413,
    );
  }
  const metadata = await pdf.getMetadata().catch(() => null);
  const metaTitle = String((metadata?.info as { Title?: unknown } | undefined)?.Title ?? '').trim();
  const first = await pageText(pdf, 1);
  if (!first && !(await anyText(pdf))) {
    await pdf.loadingTask.destroy();
    throw new AppError(
      'no_text',
      `${file} has no extractable text (a scanned PDF?). Run it through OCR first; it was not indexed.`,
      422,
    );
  }
  const firstLine =
    first
      .split('\n')
      .find((l) => l.trim().length > 3)
      ?.trim() ?? '';
  const title = metaTitle || (firstLine.length <= 120 ? firstLine : '') || fallbackTitle;

  async function* sections(): AsyncIterable<Section> {
    try {
      for (let n = 1; n <= pdf.numPages; n++) {
        const text = n === 1 ? first : await pageText(pdf, n);
        if (text) yield { headings: [`Page ${n}`], text };
      }
    } finally {
      await pdf.loadingTask.destroy();
    }
  }
  return { title, format: 'pdf', sections: sections() };
}

async function pageText(pdf: Awaited<ReturnType<typeof getDocumentProxy>>, n: number): Promise<string> {
  const page = await pdf.getPage(n);
  const content = await page.getTextContent();
  let text = '';
  for (const item of content.items as { str?: string; hasEOL?: boolean }[]) {
    text += item.str ?? '';
    if (item.hasEOL) text += '\n';
  }
  page.cleanup();
  return normalizeText(text);
}

async function anyText(pdf: Awaited<ReturnType<typeof getDocumentProxy>>): Promise<boolean> {
  for (let n = 2; n <= Math.min(pdf.numPages, 5); n++) if (await pageText(pdf, n)) return true;
  return false;
}
