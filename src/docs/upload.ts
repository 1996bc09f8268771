import { extname } from 'node:path';
import { DEFAULT_COLLECTION } from '../domain.ts';
import { AppError, badInput } from '../errors.ts';
import { say } from '../i18n/translator.ts';
import { isWhitespace, trimWhere } from '../strings.ts';

export interface UploadRules {
  maxBytes: number;
  /** Lower-case extensions with their dot, e.g. `.md`. */
  allowedExtensions: string[];
}

/** Uploaded originals live under this key prefix in the document store. */
export const UPLOAD_PREFIX = 'uploads/';

/** Longest file name accepted: no common file system allows more (255 bytes or UTF-16 units). */
export const MAX_FILE_NAME_CHARS = 255;

const dotDashOrSpace = (ch: string) => ch === '.' || ch === '-' || isWhitespace(ch);

/**
 * A safe document key from an uploaded file's name: the last path segment only (browsers may send
 * `C:\\fakepath\\x.md`), Unicode-normalised, with anything but letters, digits and `._()-` and
 * spaces replaced, so the key can never escape its prefix or confuse a shell or a URL.
 */
export function uploadKey(fileName: string, collection = DEFAULT_COLLECTION): string {
  const last = (fileName.split(/[/\\]/).pop() ?? '').normalize('NFC');
  const extension = extname(last).toLowerCase();
  const stem = last.slice(0, last.length - extension.length);
  const replaced = stem
    .replace(/[^\p{L}\p{N} ._()-]+/gu, '-')
    .replace(/\s+/g, ' ')
    .replace(/-{2,}/g, '-');
  // Not /^[.\s-]+|[.\s-]+$/g: that rescans a long run of dots once per dot (quadratic).
  const cleaned = trimWhere(replaced, dotDashOrSpace).slice(0, 100);
  // A name that had to change gets a short hash of the original, so "report?.md" and "report*.md"
  // stay two documents instead of one silently replacing the other.
  const changed = cleaned !== stem;
  const suffix = changed ? `-${new Bun.CryptoHasher('sha256').update(last).digest('hex').slice(0, 6)}` : '';
  // Each collection has its own folder (the default one keeps the top level), so the same name in
  // two collections is two documents. Collection ids are checked slugs: no `/` or `..`.
  const folder = collection === DEFAULT_COLLECTION ? '' : `${collection}/`;
  return `${UPLOAD_PREFIX}${folder}${cleaned || 'upload'}${suffix}${extension}`;
}

const TEXT_EXTENSIONS = new Set(['.md', '.markdown', '.txt', '.html', '.htm']);
const startsWith = (bytes: Uint8Array, magic: number[]) => magic.every((b, i) => bytes[i] === b);
const BINARY_SIGNATURES: [string, number[]][] = [
  ['a PDF', [0x25, 0x50, 0x44, 0x46]],
  ['a zip archive (or Office file)', [0x50, 0x4b, 0x03, 0x04]],
  ['a program', [0x7f, 0x45, 0x4c, 0x46]],
  ['a Windows program', [0x4d, 0x5a]],
  ['a PNG image', [0x89, 0x50, 0x4e, 0x47]],
  ['a JPEG image', [0xff, 0xd8, 0xff]],
  ['a GIF image', [0x47, 0x49, 0x46, 0x38]],
];

/**
 * The file's content must be what its name says: a name is only a claim. A PDF starts with
 * `%PDF-` (within its first KB, as readers allow), a DOCX is a zip, and a text format has no NUL
 * bytes and no binary signature. Returns why it is not, or null.
 */
export function contentMismatch(bytes: Uint8Array, extension: string): string | null {
  if (extension === '.pdf') {
    const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
    return head.includes('%PDF-') ? null : 'is not a PDF (its content does not start like one)';
  }
  if (extension === '.docx') {
    return startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) ? null : 'is not a Word document (it is not a zip file)';
  }
  if (TEXT_EXTENSIONS.has(extension)) {
    const binary = BINARY_SIGNATURES.find(([, magic]) => startsWith(bytes, magic));
    if (binary) return `looks like ${binary[0]}, not text`;
    if (bytes.subarray(0, 8192).includes(0)) return 'looks like a binary file, not text';
  }
  return null;
}

/** Checks one uploaded file against the rules; returns its key and bytes, or a 4xx that says why. */
export async function checkUpload(
  file: unknown,
  rules: UploadRules,
  collection = DEFAULT_COLLECTION,
): Promise<{ key: string; bytes: Uint8Array; contentType: string }> {
  if (!(file instanceof Blob)) throw badInput(say('error.upload.noFile'));
  // A browser may send a file with no name (or the parser may leave it undefined).
  const name = (file instanceof File && typeof file.name === 'string' && file.name) || 'upload';
  // Before anything looks inside the name: its length is the first thing checked.
  if (name.length > MAX_FILE_NAME_CHARS) {
    throw badInput(say('error.upload.nameTooLong', { max: MAX_FILE_NAME_CHARS, name: name.slice(0, 60) }));
  }
  const extension = extname(name).toLowerCase();
  if (!rules.allowedExtensions.includes(extension)) {
    throw new AppError(
      'unsupported_type',
      say('error.upload.type', { name: name.slice(0, 100), types: rules.allowedExtensions.join(', ') }),
      415,
    );
  }
  if (file.size === 0) throw badInput(say('error.upload.empty', { name: name.slice(0, 100) }));
  if (file.size > rules.maxBytes) {
    throw new AppError(
      'too_large',
      say('error.upload.tooLarge', {
        name: name.slice(0, 100),
        size: megabytes(file.size),
        limit: megabytes(rules.maxBytes),
      }),
      413,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const mismatch = contentMismatch(bytes, extension);
  if (mismatch) throw new AppError('unsupported_type', `"${name.slice(0, 100)}" ${mismatch}.`, 415);
  return { key: uploadKey(name, collection), bytes, contentType: file.type };
}

const megabytes = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 2 : 1)} MB`;

/** Files of a multipart body's `file` field (one or several). */
export function filesOf(body: unknown): unknown[] {
  const field = (body as Record<string, unknown> | null)?.file;
  if (field === undefined) return [];
  return Array.isArray(field) ? field : [field];
}
