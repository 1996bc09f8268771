import { extname } from 'node:path';
import { AppError, badInput } from '../errors.ts';

export interface UploadRules {
  maxBytes: number;
  /** Lower-case extensions with their dot, e.g. `.md`. */
  allowedExtensions: string[];
}

/** Uploaded originals live under this key prefix in the document store. */
export const UPLOAD_PREFIX = 'uploads/';

/**
 * A safe document key from an uploaded file's name: the last path segment only (browsers may send
 * `C:\\fakepath\\x.md`), Unicode-normalised, with anything but letters, digits and `._()-` and
 * spaces replaced, so the key can never escape its prefix or confuse a shell or a URL.
 */
export function uploadKey(fileName: string): string {
  const last = (fileName.split(/[/\\]/).pop() ?? '').normalize('NFC');
  const extension = extname(last).toLowerCase();
  const stem = last.slice(0, last.length - extension.length);
  const cleaned = stem
    .replace(/[^\p{L}\p{N} ._()-]+/gu, '-')
    .replace(/\s+/g, ' ')
    .replace(/-{2,}/g, '-')
    .replace(/^[.\s-]+|[.\s-]+$/g, '')
    .slice(0, 100);
  // A name that had to change gets a short hash of the original, so "report?.md" and "report*.md"
  // stay two documents instead of one silently replacing the other.
  const changed = cleaned !== stem;
  const suffix = changed ? `-${new Bun.CryptoHasher('sha256').update(last).digest('hex').slice(0, 6)}` : '';
  return `${UPLOAD_PREFIX}${cleaned || 'upload'}${suffix}${extension}`;
}

/** Checks one uploaded file against the rules; returns its key and bytes, or a 4xx that says why. */
export async function checkUpload(
  file: unknown,
  rules: UploadRules,
): Promise<{ key: string; bytes: Uint8Array; contentType: string }> {
  if (!(file instanceof Blob)) throw badInput('Choose a file to upload (form field "file").');
  // A browser may send a file with no name (or the parser may leave it undefined).
  const name = (file instanceof File && typeof file.name === 'string' && file.name) || 'upload';
  const extension = extname(name).toLowerCase();
  if (!rules.allowedExtensions.includes(extension)) {
    throw new AppError(
      'unsupported_type',
      `"${name.slice(0, 100)}" cannot be uploaded: only ${rules.allowedExtensions.join(', ')} files are accepted.`,
      415,
    );
  }
  if (file.size === 0) throw badInput(`"${name.slice(0, 100)}" is empty.`);
  if (file.size > rules.maxBytes) {
    throw new AppError(
      'too_large',
      `"${name.slice(0, 100)}" is ${megabytes(file.size)}; the limit is ${megabytes(rules.maxBytes)}.`,
      413,
    );
  }
  return { key: uploadKey(name), bytes: new Uint8Array(await file.arrayBuffer()), contentType: file.type };
}

const megabytes = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 2 : 1)} MB`;

/** Files of a multipart body's `file` field (one or several). */
export function filesOf(body: unknown): unknown[] {
  const field = (body as Record<string, unknown> | null)?.file;
  if (field === undefined) return [];
  return Array.isArray(field) ? field : [field];
}
