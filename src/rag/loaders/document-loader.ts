import { basename, extname } from 'node:path';
import { AppError } from '../../errors.ts';
import { say } from '../../i18n/translator.ts';
import type { DocumentFormat, LoadedDocument } from './loaded-document.ts';
import { loadMarkdown, loadPlainText } from './text-loaders.ts';

export type { DocumentFormat, LoadedDocument } from './loaded-document.ts';

export interface LoaderLimits {
  /** Largest document, in bytes. */
  maxBytes: number;
  /** Most pages read from a PDF. */
  maxPages: number;
}

const BY_EXTENSION: Record<string, DocumentFormat> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.txt': 'text',
  '.text': 'text',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
  '.docx': 'docx',
};

const BY_CONTENT_TYPE: Record<string, DocumentFormat> = {
  'text/markdown': 'markdown',
  'text/plain': 'text',
  'text/html': 'html',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

export const DOCUMENT_EXTENSIONS = Object.keys(BY_EXTENSION);

/**
 * The format of a file: by its bytes where they are unambiguous (a PDF starts with `%PDF-`, a DOCX
 * is a zip), else by its extension, else by the content type it was sent with.
 */
export function formatOf(name: string, bytes: Uint8Array, contentType?: string): DocumentFormat | null {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 5));
  if (head === '%PDF-') return 'pdf';
  const byExtension = BY_EXTENSION[extname(name).toLowerCase()];
  if (head.startsWith('PK\u0003\u0004')) return byExtension === 'docx' || !byExtension ? 'docx' : null;
  if (byExtension === 'pdf' || byExtension === 'docx') return null;
  return byExtension ?? BY_CONTENT_TYPE[(contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''] ?? null;
}

/**
 * Reads a document into a title and sections, within the limits; each failure says why. The HTML,
 * PDF and Word parsers (linkedom and Readability, pdf.js, mammoth and JSZip) are imported at the
 * first document that needs them: most servers never see one, and they cost start-up time and
 * tens of MB held for good.
 */
export async function loadDocument(
  name: string,
  bytes: Uint8Array,
  limits: LoaderLimits,
  contentType?: string,
): Promise<LoadedDocument> {
  const file = basename(name);
  if (bytes.byteLength > limits.maxBytes) {
    throw new AppError(
      'too_large',
      `${file} is ${(bytes.byteLength / 1024 / 1024).toFixed(1)} MB; the limit is ${(limits.maxBytes / 1024 / 1024).toFixed(1)} MB.`,
      413,
    );
  }
  const format = formatOf(name, bytes, contentType);
  const fallbackTitle = titleFromName(file);
  switch (format) {
    case 'markdown':
      return loadMarkdown(file, bytes, fallbackTitle);
    case 'text':
      return loadPlainText(file, bytes, fallbackTitle);
    case 'html':
      return (await import('./html-loader.ts')).loadHtml(file, bytes, fallbackTitle);
    case 'pdf':
      return (await import('./pdf-loader.ts')).loadPdf(file, bytes, fallbackTitle, limits.maxPages);
    case 'docx':
      return (await import('./docx-loader.ts')).loadDocx(file, bytes, fallbackTitle);
    default:
      throw new AppError('unsupported_type', say('error.upload.format', { name: file }), 415);
  }
}

function titleFromName(file: string): string {
  const name = file
    .replace(/\.[^.]+$/, '')
    .replace(/[-_]+/g, ' ')
    .trim();
  return name.charAt(0).toUpperCase() + name.slice(1);
}
