import { AppError } from '../../errors.ts';

/**
 * Text as ragchat indexes it: Unicode NFC, Unix line ends, no soft hyphens or zero-width
 * characters, words hyphenated across a line end joined again ("infor-\nmation"), runs of spaces
 * collapsed, at most one blank line in a row.
 */
export function normalizeText(text: string): string {
  // ` ?\n ?`, not ` *\n *` (which rescans a long run of spaces once per space): by that step,
  // spaces come one at a time.
  return text
    .replace(/^\uFEFF/, '')
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00AD\u200B-\u200D\u2060]/g, '')
    .replace(/(\p{L})-\n[ \t]*(\p{Ll})/gu, '$1$2')
    .replace(/[ \t\u00A0]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Decodes a text file: UTF-8 (with or without a byte-order mark, or UTF-16 when it has one), else
 * Windows-1252, the usual encoding of older files. A NUL byte means it is not text at all.
 */
export function decodeText(name: string, bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  if (bytes.includes(0)) throw notText(name);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

export const notText = (name: string) => new AppError('not_text', `${name} is not a text file ragchat can read.`, 422);
