import JSZip from 'jszip';
import mammoth from 'mammoth';
import { AppError } from '../../errors.ts';
import { htmlToDocument } from './html-loader.ts';
import type { LoadedDocument } from './loaded-document.ts';

/**
 * Reads the zip's central directory (JSZip inflates nothing until asked) and refuses archives whose
 * entries would expand past the limits, before mammoth inflates them all in memory.
 */
async function checkZipSizes(file: string, bytes: Uint8Array): Promise<void> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(bytes);
  } catch (error) {
    throw new AppError('unreadable', `${file} could not be read as a Word document (.docx).`, 422, { cause: error });
  }
  let total = 0;
  for (const entry of Object.values(zip.files)) {
    total += (entry as unknown as { _data?: { uncompressedSize?: number } })._data?.uncompressedSize ?? 0;
  }
  if (total > MAX_UNCOMPRESSED_BYTES || total > MAX_RATIO * Math.max(bytes.byteLength, 1)) {
    throw new AppError(
      'too_large',
      `${file} expands to ${(total / 1024 / 1024).toFixed(0)} MB when unpacked; it was refused.`,
      413,
    );
  }
}

/** DOCX through mammoth, which maps Word's heading styles to h1–h6; then as HTML. */
// A Word document's XML compresses about 10:1; a zip that claims far more is a decompression bomb.
const MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
const MAX_RATIO = 100;

export async function loadDocx(file: string, bytes: Uint8Array, fallbackTitle: string): Promise<LoadedDocument> {
  return htmlToDocument(await docxToHtml(file, bytes), fallbackTitle, 'docx');
}

/** The document's HTML as mammoth writes it (headings as h1–h6), once the zip's sizes are checked. */
export async function docxToHtml(file: string, bytes: Uint8Array): Promise<string> {
  await checkZipSizes(file, bytes);
  try {
    return (await mammoth.convertToHtml({ buffer: Buffer.from(bytes) })).value;
  } catch (error) {
    throw new AppError('unreadable', `${file} could not be read as a Word document (.docx).`, 422, { cause: error });
  }
}
