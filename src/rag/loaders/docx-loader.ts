import mammoth from 'mammoth';
import { AppError } from '../../errors.ts';
import type { LoadedDocument } from './document-loader.ts';
import { htmlToDocument } from './html-loader.ts';

/** DOCX through mammoth, which maps Word's heading styles to h1–h6; then as HTML. */
export async function loadDocx(file: string, bytes: Uint8Array, fallbackTitle: string): Promise<LoadedDocument> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) })).value;
  } catch (error) {
    throw new AppError('unreadable', `${file} could not be read as a Word document (.docx).`, 422, { cause: error });
  }
  return htmlToDocument(html, fallbackTitle, 'docx');
}
